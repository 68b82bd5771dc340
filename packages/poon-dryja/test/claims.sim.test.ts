import { schnorr } from '@noble/curves/secp256k1.js';
import {
  vsize as chainVsize,
  createTx,
  decodeTx,
  encodeTx,
  SIGHASH,
  SimChain,
  type Tx,
  taprootSighash,
  txidHex,
} from '@superscalar/chain';
import { tapLeafHash } from '@superscalar/tx';
import { describe, expect, it } from 'vitest';
import {
  buildClaim,
  buildCommitment,
  type Claim,
  type Commitment,
  derivePrivkey,
  type HtlcOutput,
  type Side,
} from '../src/index.js';
import {
  broadcastCommitment,
  CLIENT,
  fundChannel,
  htlc,
  keysOf,
  LSP,
  makeConfig,
  p2tr,
  preimage,
  rejectReason,
  signCommitment,
  specFor,
} from './_channel.js';

const SCRIPT_FAIL = (reason: string) => `mempool-script-verify-flag-failed (${reason})`;

function withWitness(bytes: Uint8Array, input: number, witness: Uint8Array[]): Uint8Array {
  const tx = decodeTx(bytes);
  return encodeTx(
    createTx({ ...tx, inputs: tx.inputs.map((i, k) => (k === input ? { ...i, witness } : i)) }),
  );
}

/** Re-signs a one-input script-path claim after changing its locks (to reach the script's own checks). */
function resignWith(
  claim: Claim,
  c: Commitment,
  out: { vout: number; leaf: Uint8Array; control: Uint8Array; secret: Uint8Array; preimage?: Uint8Array },
  change: { locktime?: number; sequence?: number },
): Uint8Array {
  const tx0: Tx = decodeTx(claim.bytes);
  const tx = createTx({
    ...tx0,
    locktime: change.locktime ?? tx0.locktime,
    inputs: tx0.inputs.map((i) => ({ ...i, sequence: change.sequence ?? i.sequence, witness: [] })),
  });
  const spent = [
    { value: (c.outputs[out.vout] as HtlcOutput).amount, script: (c.outputs[out.vout] as HtlcOutput).script },
  ];
  const msg = taprootSighash(tx, 0, spent, SIGHASH.DEFAULT, { leafHash: tapLeafHash(out.leaf) });
  if (msg === undefined) throw new Error('no sighash');
  const sig = schnorr.sign(msg, out.secret, new Uint8Array(32));
  const stack = out.preimage ? [sig, out.preimage, out.leaf, out.control] : [sig, out.leaf, out.control];
  return encodeTx(createTx({ ...tx, inputs: tx.inputs.map((i) => ({ ...i, witness: stack })) }));
}

describe.each(['lsp', 'client'] as const)(
  'claims of the %s’s confirmed commitment on SimChain',
  (holder: Side) => {
    const remote: Side = holder === 'lsp' ? 'client' : 'lsp';
    it('each claim confirms only under its conditions: preimage, CLTV, CSV (toSelfDelay for the holder, 1 for the remote)', {
      timeout: 120_000,
    }, async () => {
      const chain = new SimChain();
      const config = makeConfig({ toSelfDelay: 6 });
      const capacity = 2_000_000n;
      const funding = await fundChannel(chain, config, capacity);
      const h0 = chain.height;
      const cltv = h0 + 20;
      // Holder-offered: remote success (A1), holder timeout (A2); remote-offered: holder success (B1), remote timeout (B2).
      const htlcs = [
        htlc(holder, 0n, 40_000_000n, cltv, 'A1'),
        htlc(holder, 1n, 41_000_000n, cltv, 'A2'),
        htlc(remote, 0n, 42_000_000n, cltv, 'B1'),
        htlc(remote, 1n, 43_000_000n, cltv, 'B2'),
      ];
      const c = buildCommitment(config, funding, specFor(holder, 7, capacity, 700_000_000n, htlcs));
      const vout = (label: 'A1' | 'A2' | 'B1' | 'B2') => {
        const hash = preimage(label).hash;
        const o = c.outputs.find(
          (x): x is HtlcOutput => x.role === 'htlc' && x.paymentHash.every((b, i) => b === hash[i]),
        );
        if (o === undefined) throw new Error(`no output ${label}`);
        return o;
      };
      const roleVout = (role: 'to_local' | 'to_remote') => {
        const o = c.outputs.find((x) => x.role === role);
        if (o === undefined) throw new Error(role);
        return o.vout;
      };
      const H = keysOf(holder);
      const R = keysOf(remote);
      const dest = p2tr('claims destination');
      const claim = (inputs: Parameters<typeof buildClaim>[0]['inputs']) =>
        buildClaim({ commitment: c, inputs, destinationScript: dest, feeRate: 2_000 });

      const toRemote = claim([
        { vout: roleVout('to_remote'), kind: 'to_remote', basepointSecret: R.payment },
      ]);
      const a1 = claim([
        {
          vout: vout('A1').vout,
          kind: 'htlc_success',
          basepointSecret: R.htlc,
          preimage: preimage('A1').preimage,
        },
      ]);
      const toLocal = claim([
        { vout: roleVout('to_local'), kind: 'to_local', basepointSecret: H.delayedPayment },
      ]);
      const b1 = claim([
        {
          vout: vout('B1').vout,
          kind: 'htlc_success',
          basepointSecret: H.htlc,
          preimage: preimage('B1').preimage,
        },
      ]);
      const a2 = claim([{ vout: vout('A2').vout, kind: 'htlc_timeout', basepointSecret: H.htlc }]);
      const b2 = claim([{ vout: vout('B2').vout, kind: 'htlc_timeout', basepointSecret: R.htlc }]);
      for (const cl of [toRemote, a1, toLocal, b1, a2, b2]) {
        const d = decodeTx(cl.bytes);
        expect(txidHex(d)).toBe(cl.txid);
        expect(chainVsize(d)).toBe(cl.vsize);
        expect(d.version).toBe(3);
        expect(cl.fee).toBe(BigInt(Math.ceil((2_000 * cl.vsize) / 1000)));
      }
      // Witness shapes and locks (brief §7).
      expect(decodeTx(a1.bytes).inputs[0]?.witness.map((w) => w.length)).toEqual([
        64,
        32,
        vout('A1').successLeaf.length,
        65,
      ]);
      expect(decodeTx(toLocal.bytes).inputs[0]?.witness.map((w) => w.length)).toEqual([64, 37, 33]);
      expect(
        [toRemote, a1, toLocal, b1, a2, b2].map((x) => [x.tx.inputs[0]?.sequence, x.tx.locktime]),
      ).toEqual([
        [1, 0],
        [1, 0],
        [6, 0],
        [6, 0],
        [6, cltv],
        [1, cltv],
      ]);

      // The commitment in the mempool: nothing of it can be spent yet (every leaf has a CSV ≥ 1).
      await broadcastCommitment(chain, c, signCommitment(c));
      expect(await rejectReason(chain.broadcast(toRemote.bytes))).toBe('non-BIP68-final');
      expect(await rejectReason(chain.broadcast(a1.bytes))).toBe('non-BIP68-final');
      await chain.mine(1);
      const confirmedAt = chain.height;

      // One block after: the remote's leaves. A wrong preimage fails the script's hash check.
      const wrong = withWitness(a1.bytes, 0, [
        decodeTx(a1.bytes).inputs[0]?.witness[0] as Uint8Array,
        preimage('not A1').preimage,
        vout('A1').successLeaf,
        vout('A1').successControlBlock,
      ]);
      expect(await rejectReason(chain.broadcast(wrong))).toBe(
        SCRIPT_FAIL('Script failed an OP_EQUALVERIFY operation'),
      );
      expect(await rejectReason(chain.broadcast(toRemote.bytes))).toBe('accepted');
      expect(await rejectReason(chain.broadcast(a1.bytes))).toBe('accepted');

      // The holder's leaves wait toSelfDelay: refused at tip + 1 < confirmedAt + 6.
      expect(await rejectReason(chain.broadcast(toLocal.bytes))).toBe('non-BIP68-final');
      expect(await rejectReason(chain.broadcast(b1.bytes))).toBe('non-BIP68-final');
      // A lower nSequence passes BIP68 but not the leaf's CSV.
      const toLocalOut = c.outputs[roleVout('to_local')];
      if (toLocalOut?.role !== 'to_local') throw new Error('to_local');
      const earlyLocal = resignWith(
        toLocal,
        c,
        {
          vout: toLocalOut.vout,
          leaf: toLocalOut.leaf,
          control: toLocalOut.controlBlock,
          secret: derivePrivkey(H.delayedPayment, c.perCommitmentPoint),
        },
        { sequence: 1 },
      );
      expect(await rejectReason(chain.broadcast(earlyLocal))).toBe(
        SCRIPT_FAIL('Locktime requirement not satisfied'),
      );
      await chain.mine(confirmedAt + 4 - chain.height);
      expect(await rejectReason(chain.broadcast(toLocal.bytes))).toBe('non-BIP68-final');
      await chain.mine(1); // tip = confirmedAt + 5: the next block is the 6th confirmation
      expect(await rejectReason(chain.broadcast(toLocal.bytes))).toBe('accepted');
      expect(await rejectReason(chain.broadcast(b1.bytes))).toBe('accepted');

      // Timeouts: refused before the expiry as non-final; an nLockTime below the leaf's CLTV fails the script.
      expect(chain.height).toBeLessThan(cltv);
      expect(await rejectReason(chain.broadcast(a2.bytes))).toBe('non-final');
      expect(await rejectReason(chain.broadcast(b2.bytes))).toBe('non-final');
      const b2out = vout('B2');
      const lowLock = resignWith(
        b2,
        c,
        {
          vout: b2out.vout,
          leaf: b2out.timeoutLeaf,
          control: b2out.timeoutControlBlock,
          secret: derivePrivkey(R.htlc, c.perCommitmentPoint),
        },
        { locktime: chain.height },
      );
      expect(await rejectReason(chain.broadcast(lowLock))).toBe(
        SCRIPT_FAIL('Locktime requirement not satisfied'),
      );
      await chain.mine(cltv - chain.height - 1);
      expect(await rejectReason(chain.broadcast(a2.bytes))).toBe('non-final');
      await chain.mine(1); // tip = cltv: a locktime of cltv is final for the next block
      expect(await rejectReason(chain.broadcast(a2.bytes))).toBe('accepted');
      expect(await rejectReason(chain.broadcast(b2.bytes))).toBe('accepted');
      await chain.mine(1);
      for (const cl of [toRemote, a1, toLocal, b1, a2, b2])
        expect((await chain.getTransaction(cl.txid)).confirmation?.confirmations).toBeGreaterThan(0);
      // Every output but the anchor is claimed, and each claim paid what it spent minus its fee.
      const claimed = [toRemote, a1, toLocal, b1, a2, b2].reduce((s, x) => s + x.amount + x.fee, 0n);
      expect(claimed).toBe(c.outputs.filter((o) => o.role !== 'anchor').reduce((s, o) => s + o.amount, 0n));
      void LSP;
      void CLIENT;
    });
  },
);

describe('batched claims', () => {
  it('one claim of several outputs: nLockTime the largest expiry, each input its own CSV; it confirms', {
    timeout: 120_000,
  }, async () => {
    const chain = new SimChain();
    const config = makeConfig({ toSelfDelay: 6 });
    const capacity = 2_000_000n;
    const funding = await fundChannel(chain, config, capacity);
    const h0 = chain.height;
    const htlcs = [
      htlc('lsp', 0n, 40_000_000n, h0 + 9, 'X'),
      htlc('lsp', 1n, 41_000_000n, h0 + 12, 'Y'),
      htlc('client', 0n, 9_000_000n, h0 + 3, 'Z'),
    ];
    const c = buildCommitment(config, funding, specFor('lsp', 1, capacity, 500_000_000n, htlcs));
    const mine = c.outputs
      .filter((o) => o.role === 'to_local' || (o.role === 'htlc' && o.offeredBy === 'lsp'))
      .map((o) =>
        o.role === 'to_local'
          ? ({ vout: o.vout, kind: 'to_local', basepointSecret: LSP.delayedPayment } as const)
          : ({ vout: o.vout, kind: 'htlc_timeout', basepointSecret: LSP.htlc } as const),
      );
    const batch = buildClaim({
      commitment: c,
      inputs: mine,
      destinationScript: p2tr('lsp sweep'),
      feeRate: 1_000,
    });
    expect(batch.tx.locktime).toBe(h0 + 12);
    expect(batch.tx.inputs.map((i) => i.sequence)).toEqual([6, 6, 6]);
    await broadcastCommitment(chain, c, signCommitment(c));
    await chain.mine(12);
    expect(await rejectReason(chain.broadcast(batch.bytes))).toBe('accepted');
    await chain.mine(1);
    expect((await chain.getTransaction(batch.txid)).confirmation?.confirmations).toBe(1);
  });
});
