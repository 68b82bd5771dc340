// spendsIn (what the runtimes hand the roles with a block) and HtlcWatch.learn's tolerance of
// malformed spends: never a throw.
import { encodeTx, txidBytes, txidOf } from '@superscalar/tx';
import { describe, expect, it } from 'vitest';
import { type ChainSpend, HtlcWatch, spendsIn } from '../src/index.js';

const A = 'aa'.repeat(32);
const B = 'bb'.repeat(32);

function txSpending(outpoints: { txid: string; vout: number }[], witness: Uint8Array[][]) {
  const tx = {
    version: 3,
    inputs: outpoints.map((o) => ({ txidBytes: txidBytes(o.txid), vout: o.vout, sequence: 0 })),
    outputs: [{ value: 1_000n, script: Uint8Array.of(0x51, 0x20, ...new Uint8Array(32)) }],
    locktime: 0,
  };
  return { raw: encodeTx(tx, witness), txid: txidOf(tx) };
}

describe('spendsIn', () => {
  const t1 = txSpending([{ txid: A, vout: 1 }], [[Uint8Array.of(1), Uint8Array.of(2)]]);
  const t2 = txSpending(
    [
      { txid: B, vout: 0 },
      { txid: A, vout: 3 },
    ],
    [[Uint8Array.of(3)], [Uint8Array.of(4), Uint8Array.of(5), Uint8Array.of(6)]],
  );
  const block = { txs: [Uint8Array.of(0, 1, 2), t1.raw, t2.raw], txids: ['00'.repeat(32), t1.txid, t2.txid] };

  it('lists the spends of watched outpoints in block order, with their input and witness', () => {
    const s = spendsIn(block, [
      { txid: A, vout: 3 },
      { txid: A, vout: 1 },
      { txid: B, vout: 9 },
    ]);
    expect(s.map((x) => [x.outpoint.txid, x.outpoint.vout, x.txid, x.vin])).toEqual([
      [A, 1, t1.txid, 0],
      [A, 3, t2.txid, 1],
    ]);
    expect(s[1]?.witness).toEqual([Uint8Array.of(4), Uint8Array.of(5), Uint8Array.of(6)]);
  });

  it('nothing watched, nothing decoded; an undecodable transaction is skipped', () => {
    expect(spendsIn(block, [])).toEqual([]);
    expect(spendsIn(block, [{ txid: B, vout: 0 }])).toHaveLength(1);
  });
});

describe('HtlcWatch.learn ignores what it cannot read', () => {
  it('no channels, no spends, malformed spends: nothing learned, nothing thrown', () => {
    const w = new HtlcWatch();
    expect(w.outpoints([])).toEqual([]);
    expect(w.learn([], undefined)).toEqual([]);
    expect(w.learn([], [] as ChainSpend[])).toEqual([]);
    const junk = [null, {}, { outpoint: null }, { outpoint: { txid: 5 } }] as unknown as ChainSpend[];
    expect(w.learn([], junk)).toEqual([]);
  });
});
