import { describe, expect, it } from 'vitest';
import {
  ChainError,
  InvalidArgument,
  NotFound,
  RpcTimeout,
  ScriptError,
  TxDecodeError,
  TxRejected,
  Unavailable,
  WarmingUp,
} from '../src/index.js';

describe('typed errors', () => {
  it('isInstance follows the class hierarchy and the stable codes, not constructor names', () => {
    const r = new TxRejected({ reason: 'dust', inputIndex: 2, rule: 'IsStandardTx', detail: 'output 1' });
    expect([r.code, r.name, r.reason, r.inputIndex]).toEqual(['TX_REJECTED', 'TxRejected', 'dust', 2]);
    expect(r.message).toContain('dust');
    expect(ChainError.isInstance(r) && TxRejected.isInstance(r)).toBe(true);
    expect(NotFound.isInstance(r) || Unavailable.isInstance(r)).toBe(false);
    const t = new RpcTimeout('getblock', 5);
    expect([t.code, Unavailable.isInstance(t), RpcTimeout.isInstance(t), WarmingUp.isInstance(t)]).toEqual([
      'RPC_TIMEOUT',
      true,
      true,
      false,
    ]);
    expect(ChainError.isInstance(new Error('x'))).toBe(false);
    expect(ChainError.isInstance(new InvalidArgument('amount', 'negative'))).toBe(true);
  });

  it('an error from another copy of the package (same Symbol.for brand and kind) is recognised', () => {
    const foreign = Object.create(
      Object.create(Error.prototype, {
        [Symbol.for('@superscalar/chain/error')]: { value: true },
        [Symbol.for('@superscalar/chain/error-kind')]: { value: 'TxRejected' },
      }),
    );
    expect(TxRejected.isInstance(foreign) && ChainError.isInstance(foreign)).toBe(true);
    expect(NotFound.isInstance(foreign)).toBe(false);
  });

  it("the codec's and the interpreter's errors carry the package brand", () => {
    expect(ChainError.isInstance(new ScriptError('EVAL_FALSE'))).toBe(true);
    expect(ChainError.isInstance(new TxDecodeError('TX_TRUNCATED', 0, 'short'))).toBe(true);
  });
});
