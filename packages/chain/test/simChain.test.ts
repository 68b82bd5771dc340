// SimChain beyond the conformance suite: consensus rules a regtest node enforces (coinbase maturity,
// value conservation), standardness, RBF rules, ephemeral dust, reorg edge cases, and invariants.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  addressToScript,
  createTx,
  decodeTx,
  dustThreshold,
  encodeTx,
  fromDisplayHex,
  NotFound,
  SimChain,
  scriptToAddress,
  TxRejected,
  txidHex,
} from '../src/index.js';
import { key, P2A, p2trKeyPath, type Spendable, spend } from '../src/testing/_txkit.js';

const K = key(7);
const kp = p2trKeyPath(K);
const signer = { kind: 'key', priv: kp.priv } as const;
const T0 = 1_700_000_000;

function chain(): SimChain {
  let t = T0;
  return new SimChain({ clock: () => (t += 600) });
}

function rejected(f: () => unknown): TxRejected {
  try {
    f();
  } catch (e) {
    if (TxRejected.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected a TxRejected');
}

function fundSync(c: SimChain, amount: bigint): Spendable {
  const f = c.fundSync(kp.script, amount);
  return { txid: f.txid, vout: f.vout, value: f.amount, script: kp.script };
}

describe('SimChain consensus rules', () => {
  it('a coinbase output is spendable only at depth 100 (bad-txns-premature-spend-of-coinbase)', () => {
    const c = chain();
    const [hash] = c.mineSync(1, { scriptPubKey: kp.script });
    const h = c.height;
    const cbTxid = c.blockAt(h).txids[0]!;
    expect(c.blockAt(h).hash).toBe(hash);
    const value = c.utxo({ txid: cbTxid, vout: 0 })!.value;
    const s = spend({
      inputs: [{ from: { txid: cbTxid, vout: 0, value, script: kp.script }, signer }],
      outputs: [{ value: value - 1000n, script: kp.script }],
    });
    const r = rejected(() => c.broadcastSync(s.raw));
    expect(r.reason).toBe('bad-txns-premature-spend-of-coinbase');
    expect(r.detail).toBe('tried to spend coinbase at depth 1');
    c.mineSync(98);
    expect(rejected(() => c.broadcastSync(s.raw)).detail).toBe('tried to spend coinbase at depth 99');
    c.mineSync(1);
    expect(c.broadcastSync(s.raw)).toBe(txidHex(s.tx));
    // A reorg that makes the coinbase immature again evicts the spend.
    c.invalidateBlockSync(c.blockAt(c.height).hash);
    expect(c.mempool()).not.toContain(txidHex(s.tx));
  });

  it('outputs above inputs are bad-txns-in-belowout; fees are paid to the coinbase', () => {
    const c = chain();
    const f = fundSync(c, 10_000n);
    const over = spend({ inputs: [{ from: f, signer }], outputs: [{ value: 10_001n, script: kp.script }] });
    expect(rejected(() => c.broadcastSync(over.raw)).reason).toBe('bad-txns-in-belowout');
    const ok = spend({ inputs: [{ from: f, signer }], outputs: [{ value: 7_000n, script: kp.script }] });
    c.broadcastSync(ok.raw);
    c.mineSync(1, { scriptPubKey: kp.script });
    const cb = c.blockAt(c.height).txids[0]!;
    expect(c.utxo({ txid: cb, vout: 0 })!.value).toBe(
      ((50n * 100_000_000n) >> BigInt(Math.floor(c.height / 150))) + 3_000n,
    );
  });

  it('an undecodable transaction is TX decode failed; an unknown txid is NotFound', async () => {
    const c = chain();
    expect(rejected(() => c.broadcastSync(Uint8Array.of(1, 2, 3))).reason).toBe('TX decode failed');
    await expect(c.getTransaction('11'.repeat(32))).rejects.toSatisfy((e) => NotFound.isInstance(e));
  });
});

describe('regtest addresses', () => {
  it('P2A, P2TR, P2WPKH, P2PKH and P2SH scripts round-trip through regtest addresses; mine({ address }) pays the script', () => {
    expect(scriptToAddress(P2A)).toBe('bcrt1pfeesnyr2tx');
    const scripts = [
      P2A,
      kp.script,
      Uint8Array.from([0x00, 0x14, ...new Uint8Array(20).fill(5)]),
      Uint8Array.from([0x76, 0xa9, 0x14, ...new Uint8Array(20).fill(6), 0x88, 0xac]),
      Uint8Array.from([0xa9, 0x14, ...new Uint8Array(20).fill(7), 0x87]),
    ];
    for (const s of scripts) expect(addressToScript(scriptToAddress(s)!)).toEqual(s);
    expect(scriptToAddress(Uint8Array.of(0x6a))).toBeNull();
    expect(() => addressToScript('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4')).toThrow();
    const c = chain();
    c.mineSync(1, { address: scriptToAddress(kp.script)! });
    const cb = c.blockAt(c.height).txids[0]!;
    expect(c.utxo({ txid: cb, vout: 0 })!.scriptPubKey).toEqual(kp.script);
  });
});

describe('SimChain rejection details', () => {
  it('a rejection names the rule, the binding input and the lock it waits for', () => {
    const c = chain();
    const a = fundSync(c, 50_000n);
    const b = fundSync(c, 50_000n);
    const early = spend({
      inputs: [
        { from: a, signer, sequence: 0xfffffffd },
        { from: b, signer, sequence: 10 },
      ],
      outputs: [{ value: 99_000n, script: kp.script }],
    });
    const r = rejected(() => c.broadcastSync(early.raw));
    expect(r).toMatchObject({
      reason: 'non-BIP68-final',
      inputIndex: 1,
      rule: 'BIP68',
      txid: txidHex(early.tx),
    });
    expect(r.detail).toContain(`until height ${c.height + 10}`);
    const locked = spend({
      inputs: [{ from: a, signer, sequence: 0xfffffffe }],
      outputs: [{ value: 49_000n, script: kp.script }],
      locktime: c.height + 1,
    });
    const n = rejected(() => c.broadcastSync(locked.raw));
    expect(n).toMatchObject({ reason: 'non-final', rule: 'nLockTime (BIP113)' });
    expect(n.message).toContain('non-final');
    const bad = spend({ inputs: [{ from: a, signer }], outputs: [{ value: 49_000n, script: kp.script }] });
    const tampered = Uint8Array.from(bad.raw);
    tampered[tampered.length - 10]! ^= 1; // inside the signature
    const s = rejected(() => c.broadcastSync(tampered));
    expect(s).toMatchObject({
      reason: 'mempool-script-verify-flag-failed (Invalid Schnorr signature)',
      inputIndex: 0,
      rule: 'script (consensus)',
    });
  });
});

describe('SimChain standardness', () => {
  it('version 4, tiny transactions, non-standard outputs and a witness on P2A are refused with Core strings', () => {
    const c = chain();
    const f = fundSync(c, 100_000n);
    const v4 = spend({
      version: 4,
      inputs: [{ from: f, signer }],
      outputs: [{ value: 99_000n, script: kp.script }],
    });
    expect(rejected(() => c.broadcastSync(v4.raw)).reason).toBe('version');
    const small = spend({
      inputs: [{ from: f, signer }],
      // No value on the OP_RETURN: with value, sendrawtransaction's maxburnamount would refuse it first.
      outputs: [{ value: 0n, script: Uint8Array.of(0x6a) }],
    });
    expect(rejected(() => c.broadcastSync(small.raw)).reason).toBe('tx-size-small');
    const odd = spend({
      inputs: [{ from: f, signer }],
      outputs: [{ value: 99_000n, script: Uint8Array.of(0x51, 0x51, 0x87) }],
    });
    expect(rejected(() => c.broadcastSync(odd.raw)).reason).toBe('scriptpubkey');
    const withAnchor = spend({
      version: 3,
      inputs: [{ from: f, signer }],
      outputs: [
        { value: 98_000n, script: kp.script },
        { value: 240n, script: P2A },
      ],
    });
    c.broadcastSync(withAnchor.raw);
    const anchorTxid = txidHex(withAnchor.tx);
    const stuffed = createTx({
      version: 3,
      locktime: 0,
      inputs: [
        { prevTxid: fromDisplayHex(anchorTxid), vout: 1, sequence: 0xfffffffd, witness: [Uint8Array.of(1)] },
      ],
      outputs: [
        {
          value: 0n,
          script: Uint8Array.of(
            0x6a,
            0x14,
            1,
            2,
            3,
            4,
            5,
            6,
            7,
            8,
            9,
            10,
            11,
            12,
            13,
            14,
            15,
            16,
            17,
            18,
            19,
            20,
          ),
        },
      ],
    });
    const r = rejected(() => c.broadcastSync(encodeTx(stuffed)));
    expect(r.reason).toBe('bad-witness-nonstandard');
    expect(r.inputIndex).toBe(0);
  });

  it('dust thresholds follow Core formula at 3 sat/vB: P2TR 330, P2A 240, P2WPKH 294, P2PKH 546, P2SH 540, OP_RETURN 0', () => {
    const s = (n: number, head: number[]): Uint8Array => Uint8Array.from([...head, ...new Uint8Array(n)]);
    expect(dustThreshold({ value: 0n, script: s(32, [0x51, 0x20]) })).toBe(330n);
    expect(dustThreshold({ value: 0n, script: P2A })).toBe(240n);
    expect(dustThreshold({ value: 0n, script: s(20, [0x00, 0x14]) })).toBe(294n);
    expect(
      dustThreshold({
        value: 0n,
        script: Uint8Array.from([0x76, 0xa9, 0x14, ...new Uint8Array(20), 0x88, 0xac]),
      }),
    ).toBe(546n);
    expect(
      dustThreshold({ value: 0n, script: Uint8Array.from([0xa9, 0x14, ...new Uint8Array(20), 0x87]) }),
    ).toBe(540n);
    expect(dustThreshold({ value: 0n, script: Uint8Array.of(0x6a) })).toBe(0n);
  });

  it('ephemeral dust: a zero-fee parent may carry one dust output that its package child must spend', () => {
    const c = chain();
    const f = fundSync(c, 100_000n);
    const feeCoin = fundSync(c, 20_000n);
    const parent = spend({
      version: 3,
      inputs: [{ from: f, signer }],
      outputs: [
        { value: 100_000n, script: kp.script },
        { value: 0n, script: P2A },
      ],
    });
    const pid = txidHex(parent.tx);
    const feeParent = spend({
      version: 3,
      inputs: [{ from: f, signer }],
      outputs: [
        { value: 99_000n, script: kp.script },
        { value: 0n, script: P2A },
      ],
    });
    const dustWithFee = rejected(() => c.broadcastSync(feeParent.raw));
    expect([dustWithFee.reason, dustWithFee.detail]).toEqual(['dust', 'tx with dust output must be 0-fee']);
    const ignoring = spend({
      version: 3,
      inputs: [
        { from: { txid: pid, vout: 0, value: 100_000n, script: kp.script }, signer },
        { from: feeCoin, signer },
      ],
      outputs: [{ value: 115_000n, script: kp.script }],
    });
    expect(rejected(() => c.broadcastPackageSync(parent.raw, ignoring.raw)).reason).toBe(
      'missing-ephemeral-spends',
    );
    const sweeping = spend({
      version: 3,
      inputs: [
        { from: { txid: pid, vout: 1, value: 0n, script: P2A }, signer: { kind: 'anchor' } },
        { from: feeCoin, signer },
      ],
      outputs: [{ value: 15_000n, script: kp.script }],
    });
    expect(c.broadcastPackageSync(parent.raw, sweeping.raw).parentTxid).toBe(pid);
  });
});

describe('SimChain RBF (BIP125 as Core 30, full-RBF)', () => {
  it('a replacement may not add unconfirmed inputs (rule 2) and must pay for its own relay (rule 4)', () => {
    const c = chain();
    const f = fundSync(c, 100_000n);
    const g = fundSync(c, 100_000n);
    const a = spend({ inputs: [{ from: f, signer }], outputs: [{ value: 99_000n, script: kp.script }] });
    c.broadcastSync(a.raw);
    const other = spend({ inputs: [{ from: g, signer }], outputs: [{ value: 99_000n, script: kp.script }] });
    c.broadcastSync(other.raw);
    const addsUnconfirmed = spend({
      inputs: [
        { from: f, signer },
        { from: { txid: txidHex(other.tx), vout: 0, value: 99_000n, script: kp.script }, signer },
      ],
      outputs: [{ value: 150_000n, script: kp.script }],
    });
    expect(rejected(() => c.broadcastSync(addsUnconfirmed.raw)).reason).toBe('replacement-adds-unconfirmed');
    // Same size, one satoshi more: pays more (rule 3) but not the incremental relay fee (rule 4).
    const oneMore = spend({
      inputs: [{ from: f, signer }],
      outputs: [{ value: 98_999n, script: kp.script }],
    });
    const r = rejected(() => c.broadcastSync(oneMore.raw));
    expect(r.reason).toBe('insufficient fee');
    expect(r.rule).toBe('RBF rule 4');
    const enough = spend({ inputs: [{ from: f, signer }], outputs: [{ value: 98_900n, script: kp.script }] });
    c.broadcastSync(enough.raw);
    expect(c.mempool()).not.toContain(txidHex(a.tx));
  });
});

describe('SimChain RBF as Core 31 (cluster mempool, policy.coreVersion ≥ 310000)', () => {
  it('a replacement adding an unconfirmed input is judged by the feerate diagram, not rule 2; a worse diagram is replacement-failed', () => {
    const c = new SimChain({
      clock: (() => {
        let t = T0;
        return () => (t += 600);
      })(),
      policy: { coreVersion: 319900 },
    });
    const f = fundSync(c, 100_000n);
    const g = fundSync(c, 100_000n);
    const a = spend({ inputs: [{ from: f, signer }], outputs: [{ value: 98_000n, script: kp.script }] });
    c.broadcastSync(a.raw);
    const other = spend({ inputs: [{ from: g, signer }], outputs: [{ value: 99_000n, script: kp.script }] });
    c.broadcastSync(other.raw);
    // Bigger than `a`, more fee in total, but a lower feerate: the diagram gets worse at a's size.
    const wider = spend({
      inputs: [{ from: f, signer }],
      outputs: [
        { value: 96_500n, script: kp.script },
        { value: 1_000n, script: kp.script },
      ],
    });
    const w = rejected(() => c.broadcastSync(wider.raw));
    expect([w.reason, w.detail]).toEqual([
      'replacement-failed',
      'insufficient feerate: does not improve feerate diagram',
    ]);
    const addsUnconfirmed = spend({
      inputs: [
        { from: f, signer },
        { from: { txid: txidHex(other.tx), vout: 0, value: 99_000n, script: kp.script }, signer },
      ],
      outputs: [{ value: 150_000n, script: kp.script }],
    });
    c.broadcastSync(addsUnconfirmed.raw);
    expect(c.mempool()).not.toContain(txidHex(a.tx));
  });
});

describe('SimChain reorgs', () => {
  it('a reorg re-adds a confirmed parent under its mempool child, and both confirm again', () => {
    const c = chain();
    const f = fundSync(c, 100_000n);
    const parent = spend({ inputs: [{ from: f, signer }], outputs: [{ value: 99_000n, script: kp.script }] });
    c.broadcastSync(parent.raw);
    const [h] = c.mineSync(1);
    const child = spend({
      inputs: [{ from: { txid: txidHex(parent.tx), vout: 0, value: 99_000n, script: kp.script }, signer }],
      outputs: [{ value: 98_000n, script: kp.script }],
    });
    c.broadcastSync(child.raw);
    c.invalidateBlockSync(h!);
    expect(c.mempool().sort()).toEqual([txidHex(parent.tx), txidHex(child.tx)].sort());
    c.mineSync(1, { scriptPubKey: kp.script });
    expect(c.mempool()).toEqual([]);
    expect(c.blockAt(c.height).txids.slice(1)).toEqual([txidHex(parent.tx), txidHex(child.tx)]);
  });

  it('waits resolve on new blocks and reject when aborted', async () => {
    const c = chain();
    const ac = new AbortController();
    const never = c.waitForHeight(c.height + 1000, { signal: ac.signal });
    const next = c.waitForHeight(c.height + 2);
    c.mineSync(2);
    expect((await next).height).toBe(c.height);
    ac.abort(new Error('stop'));
    await expect(never).rejects.toThrow('stop');
  });
});

describe('SimChain invariants', () => {
  it('value is conserved: the UTXO set always totals the subsidies of the active chain, across spends and reorgs', () => {
    const runs = propertyRuns(30, 10);
    const subsidies = (c: SimChain): bigint => {
      let s = 0n;
      for (let h = 1; h <= c.height; h++) s += (50n * 100_000_000n) >> BigInt(Math.floor(h / 150));
      return s;
    };
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              op: fc.constant('fund' as const),
              amount: fc.bigInt({ min: 1_000n, max: 5_000_000n }),
            }),
            fc.record({ op: fc.constant('mine' as const), n: fc.integer({ min: 1, max: 3 }) }),
            fc.record({ op: fc.constant('spend' as const), fee: fc.bigInt({ min: 200n, max: 5_000n }) }),
            fc.record({ op: fc.constant('reorg' as const), depth: fc.integer({ min: 1, max: 3 }) }),
          ),
          { maxLength: 12 },
        ),
        (ops) => {
          const c = chain();
          const coins: Spendable[] = [];
          for (const o of ops) {
            if (o.op === 'fund') coins.push(fundSync(c, o.amount));
            else if (o.op === 'mine') c.mineSync(o.n);
            else if (o.op === 'spend') {
              const from = coins.pop();
              if (from === undefined || from.value - o.fee < 330n) continue;
              const s = spend({
                inputs: [{ from, signer }],
                outputs: [{ value: from.value - o.fee, script: kp.script }],
              });
              try {
                c.broadcastSync(s.raw);
                coins.push({ txid: txidHex(s.tx), vout: 0, value: from.value - o.fee, script: kp.script });
              } catch (e) {
                if (!TxRejected.isInstance(e)) throw e;
              }
            } else if (c.height > o.depth) {
              c.invalidateBlockSync(c.blockAt(c.height - o.depth + 1).hash);
            }
            expect(c.txOutSetInfo().totalAmount).toBe(subsidies(c));
          }
        },
      ),
      { numRuns: runs },
    );
  });
});

describe('SimChain mempool consistency', () => {
  it('after any mix of spends, TRUC packages, replacements and reorgs (Core 30 or 31 rules) the mempool is conflict-free, fully funded and mines into one valid block', async () => {
    const runs = propertyRuns(25, 8);
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({
              op: fc.constant('fund' as const),
              amount: fc.bigInt({ min: 20_000n, max: 2_000_000n }),
            }),
            fc.record({ op: fc.constant('mine' as const), n: fc.integer({ min: 1, max: 2 }) }),
            fc.record({
              op: fc.constant('spend' as const),
              fee: fc.bigInt({ min: 0n, max: 6_000n }),
              v3: fc.boolean(),
            }),
            fc.record({ op: fc.constant('package' as const), fee: fc.bigInt({ min: 0n, max: 9_000n }) }),
            fc.record({ op: fc.constant('replace' as const), fee: fc.bigInt({ min: 100n, max: 20_000n }) }),
            fc.record({ op: fc.constant('reorg' as const), depth: fc.integer({ min: 1, max: 2 }) }),
          ),
          { minLength: 4, maxLength: 14 },
        ),
        fc.boolean(),
        async (ops, core31) => {
          const c = core31
            ? new SimChain({
                clock: (() => {
                  let t = T0;
                  return () => (t += 600);
                })(),
                policy: { coreVersion: 319900 },
              })
            : chain();
          const coins: Spendable[] = [200_000n, 300_000n, 400_000n, 500_000n].map((v) => fundSync(c, v));
          const spentCoins: Spendable[] = [];
          const attempt = (f: () => unknown): boolean => {
            try {
              f();
              return true;
            } catch (e) {
              if (!TxRejected.isInstance(e)) throw e;
              return false;
            }
          };
          for (const o of ops) {
            if (o.op === 'fund') coins.push(fundSync(c, o.amount));
            else if (o.op === 'mine') c.mineSync(o.n);
            else if (o.op === 'reorg') {
              if (c.height > o.depth) c.invalidateBlockSync(c.blockAt(c.height - o.depth + 1).hash);
            } else if (o.op === 'spend' || o.op === 'replace') {
              const from = o.op === 'spend' ? coins.shift() : spentCoins[spentCoins.length - 1];
              if (from === undefined || from.value - o.fee < 1_000n) continue;
              const s = spend({
                version: o.op === 'spend' && o.v3 ? 3 : 2,
                inputs: [{ from, signer }],
                outputs: [{ value: from.value - o.fee, script: kp.script }],
              });
              if (attempt(() => c.broadcastSync(s.raw))) {
                spentCoins.push(from);
                coins.push({ txid: txidHex(s.tx), vout: 0, value: from.value - o.fee, script: kp.script });
              } else if (o.op === 'spend') coins.unshift(from);
            } else {
              const from = coins.shift();
              const feeCoin = coins.shift();
              if (from === undefined || feeCoin === undefined || feeCoin.value - o.fee < 1_000n) continue;
              const parent = spend({
                version: 3,
                inputs: [{ from, signer }],
                outputs: [
                  { value: from.value - 240n, script: kp.script },
                  { value: 240n, script: P2A },
                ],
              });
              const pid = txidHex(parent.tx);
              const child = spend({
                version: 3,
                inputs: [
                  { from: { txid: pid, vout: 1, value: 240n, script: P2A }, signer: { kind: 'anchor' } },
                  { from: feeCoin, signer },
                ],
                outputs: [{ value: feeCoin.value + 240n - o.fee, script: kp.script }],
              });
              if (attempt(() => c.broadcastPackageSync(parent.raw, child.raw))) {
                spentCoins.push(from, feeCoin);
                coins.push({ txid: pid, vout: 0, value: from.value - 240n, script: kp.script });
              }
            }
            // Invariant: no two mempool transactions spend one outpoint, and every input is funded.
            const seen = new Set<string>();
            const pool = new Set(c.mempool());
            for (const txid of pool) {
              const tx = decodeTx((await c.getTransaction(txid)).tx);
              for (const i of tx.inputs) {
                const prev = Buffer.from(i.prevTxid).reverse().toString('hex');
                const key = `${prev}:${i.vout}`;
                expect(seen.has(key)).toBe(false);
                seen.add(key);
                expect(pool.has(prev) || c.utxo({ txid: prev, vout: i.vout }) !== undefined).toBe(true);
              }
            }
          }
          c.mineSync(1);
          expect(c.mempool()).toEqual([]);
        },
      ),
      { numRuns: runs },
    );
  });
});

describe('browser safety', () => {
  it('nothing under src/ but src/bitcoind and src/sim-server (Node-only subpaths) imports a Node built-in or uses Buffer/process', () => {
    const root = join(import.meta.dirname, '..', 'src');
    const offenders: string[] = [];
    const walk = (d: string): void => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) {
          if (n !== 'bitcoind' && n !== 'sim-server') walk(p);
        } else if (
          /from '(node:|fs|path|http|net|os|crypto)|\bBuffer\.|\bprocess\./.test(readFileSync(p, 'utf8'))
        )
          offenders.push(p);
      }
    };
    walk(root);
    expect(offenders).toEqual([]);
  });
});

describe("SimChain's maxfeerate (Core's default 0.10 BTC/kvB)", () => {
  it('a package child paying above it is max feerate exceeded; testAccept says max-fee-exceeded; 0 disables it', async () => {
    const c = new SimChain();
    const f = await c.fund(kp.script, 2_000_000n);
    const from: Spendable = { txid: f.txid, vout: f.vout, value: f.amount, script: kp.script };
    const parent = spend({
      version: 3,
      inputs: [{ from, signer }],
      outputs: [
        { value: 1_999_760n, script: kp.script },
        { value: 240n, script: P2A },
      ],
    });
    const pid = txidHex(parent.tx);
    const child = spend({
      version: 3,
      inputs: [
        { from: { txid: pid, vout: 0, value: 1_999_760n, script: kp.script }, signer },
        { from: { txid: pid, vout: 1, value: 240n, script: P2A }, signer: { kind: 'anchor' } },
      ],
      outputs: [{ value: 1_000n, script: kp.script }],
    });
    const e = await c.broadcastPackage(parent.raw, child.raw).catch((x: unknown) => x);
    expect(TxRejected.isInstance(e) && e.reason).toBe('max feerate exceeded');
    const greedy = spend({ inputs: [{ from, signer }], outputs: [{ value: 1_000n, script: kp.script }] });
    expect(() => c.testAccept(greedy.raw)).toThrow(/max-fee-exceeded/);
    c.setPolicy({ maxFeeRate: 0 });
    expect(c.testAccept(greedy.raw)).toBe(txidHex(greedy.tx));
  });
});
