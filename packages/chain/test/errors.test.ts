import { SuperscalarError } from '@superscalar/core';
import { errorClassProblems } from '@superscalar/core/test';
import { describe, expect, it } from 'vitest';
import * as bitcoind from '../src/bitcoind/index.js';
import * as mod from '../src/index.js';
import {
  ChainError,
  compileScript,
  DecodeError,
  InvalidArgumentError,
  MalformedReply,
  medianTimePast,
  NotFound,
  parseAsm,
  pushNumber,
  ReplyTooLarge,
  RpcTimeout,
  ScriptAsmError,
  ScriptError,
  TxRejected,
  taprootOutput,
  taprootSighash,
  Unavailable,
  WarmingUp,
} from '../src/index.js';

describe('typed errors', () => {
  it('every exported error class is tagged @superscalar/chain:<Name>', () => {
    expect(errorClassProblems(mod, 'chain')).toEqual([]);
    expect(Object.keys(bitcoind).filter((k) => k.endsWith('Error'))).toEqual([]);
  });

  it('isInstance follows the class hierarchy exactly; codes are CHAIN_-prefixed', () => {
    const r = new TxRejected({ reason: 'dust', inputIndex: 2, rule: 'IsStandardTx', detail: 'output 1' });
    expect([r.code, r.name, r.reason, r.inputIndex]).toEqual(['CHAIN_TX_REJECTED', 'TxRejected', 'dust', 2]);
    expect(r.message).toContain('dust');
    expect(ChainError.isInstance(r) && TxRejected.isInstance(r) && SuperscalarError.isInstance(r)).toBe(true);
    expect(NotFound.isInstance(r) || Unavailable.isInstance(r)).toBe(false);
    const t = new RpcTimeout('getblock', 5);
    expect([t.code, Unavailable.isInstance(t), RpcTimeout.isInstance(t), WarmingUp.isInstance(t)]).toEqual([
      'CHAIN_RPC_TIMEOUT',
      true,
      true,
      false,
    ]);
    const big = new ReplyTooLarge('getblock', 'depth', 64);
    expect([big.code, MalformedReply.isInstance(big), ReplyTooLarge.isInstance(big)]).toEqual([
      'CHAIN_RPC_REPLY_TOO_LARGE',
      true,
      true,
    ]);
    expect(ReplyTooLarge.isInstance(new MalformedReply('getblock', 'x', 'y'))).toBe(false);
    expect(ChainError.isInstance(new Error('x'))).toBe(false);
    expect(ChainError.isInstance(new InvalidArgumentError('amount', 'negative'))).toBe(true);
  });

  it('an error from another copy of the package (same kind tag) is recognised', () => {
    const KIND = Symbol.for('@superscalar/error-kind');
    const BRAND = Symbol.for('@superscalar/error');
    const base = Object.create(Error.prototype, {
      [BRAND]: { value: true },
      [KIND]: { value: '@superscalar/chain:ChainError' },
    });
    const foreign = Object.create(
      Object.create(base, { [KIND]: { value: '@superscalar/chain:TxRejected' } }),
    );
    expect(TxRejected.isInstance(foreign) && ChainError.isInstance(foreign)).toBe(true);
    expect(NotFound.isInstance(foreign)).toBe(false);
  });

  it("the codec's and the interpreter's errors are ChainErrors with CHAIN_ codes; Core's names stay in fields", () => {
    const s = new ScriptError('EVAL_FALSE');
    expect([ChainError.isInstance(s), s.code, s.scriptError]).toEqual([true, 'CHAIN_SCRIPT', 'EVAL_FALSE']);
    const d = new DecodeError('TRUNCATED', 0, 'short');
    expect([ChainError.isInstance(d), d.code, d.problem]).toEqual([true, 'CHAIN_DECODE', 'TRUNCATED']);
    let asm: unknown;
    try {
      parseAsm('1 2 NOT_AN_OPCODE');
    } catch (e) {
      asm = e;
    }
    expect(ScriptAsmError.isInstance(asm) && DecodeError.isInstance(asm)).toBe(true);
    expect([(asm as ScriptAsmError).code, (asm as ScriptAsmError).offset]).toEqual(['CHAIN_DECODE', 4]);
  });

  it('public script, taproot, sighash and lock helpers throw InvalidArgumentError, never RangeError', () => {
    const cases: [string, () => unknown][] = [
      ['n', () => pushNumber(2 ** 60)],
      ['parts[1]', () => compileScript([0x51, 0x100])],
      ['parts[0]', () => compileScript([2n ** 60n])],
      ['internalKey', () => taprootOutput(new Uint8Array(32).fill(0xff))],
      ['times', () => medianTimePast([])],
      [
        'spentOutputs',
        () =>
          taprootSighash(
            mod.createTx({
              version: 2,
              locktime: 0,
              inputs: [{ prevTxid: new Uint8Array(32), vout: 0, sequence: 0 }],
              outputs: [],
            }),
            0,
            [],
            0,
          ),
      ],
    ];
    for (const [argument, f] of cases) {
      let caught: unknown;
      try {
        f();
      } catch (e) {
        caught = e;
      }
      expect(InvalidArgumentError.isInstance(caught), argument).toBe(true);
      expect((caught as InvalidArgumentError).argument).toBe(argument);
      expect((caught as InvalidArgumentError).code).toBe('CHAIN_INVALID_ARGUMENT');
    }
  });
});
