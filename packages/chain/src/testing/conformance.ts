// The chain conformance suite: the same scenarios, with the same expected Bitcoin Core reject strings,
// against every backend (SimChain here, a throwaway bitcoind -regtest in integration/). A scenario that
// passes on one backend and fails on the other is a SimChain bug (or a Core version difference, which
// the scenario then states).
import { equalBytes } from '@superscalar/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ChainBackend,
  decodeTx,
  NotFound,
  SEQUENCE_LOCKTIME_TYPE_FLAG,
  TxRejected,
  txidHex,
} from '../index.js';
import {
  cltvLeaf,
  corruptSig,
  csvLeaf,
  key,
  P2A,
  p2trKeyPath,
  p2trLeaf,
  type Spendable,
  spend,
} from './_txkit.js';

/** A backend under test and how to dispose of it. */
export interface ConformanceTarget {
  readonly backend: ChainBackend;
  readonly close?: () => Promise<void>;
}

async function rejection(p: Promise<unknown>): Promise<TxRejected> {
  try {
    await p;
  } catch (e) {
    if (TxRejected.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected a TxRejected, but the transaction was accepted');
}

/**
 * Registers the conformance scenarios for one backend. `make` is called once; scenarios share the
 * backend and each funds its own outputs, so they are independent of each other's leftovers.
 */
export function chainConformance(name: string, make: () => Promise<ConformanceTarget>): void {
  describe(`chain conformance: ${name}`, () => {
    let target: ConformanceTarget | undefined;
    let b: ChainBackend;
    let coreVersion = 0;
    const K = key(1);
    const kp = p2trKeyPath(K);
    const signer = { kind: 'key', priv: kp.priv } as const;

    const fundKey = async (amount: bigint): Promise<Spendable> => {
      const f = await b.fund(kp.script, amount);
      return { txid: f.txid, vout: f.vout, value: f.amount, script: kp.script };
    };
    const outOf = (txid: string, vout: number, value: bigint, script = kp.script): Spendable => ({
      txid,
      vout,
      value,
      script,
    });
    /** Core ≥ 30 prefixes script failures `mempool-script-verify-flag-failed`; 28–29 differently. */
    const expectScriptError = (r: TxRejected, scriptError: string): void => {
      expect(r.reason.endsWith(`(${scriptError})`)).toBe(true);
      if (coreVersion >= 300000) expect(r.reason).toBe(`mempool-script-verify-flag-failed (${scriptError})`);
    };
    const mineTo = async (height: number): Promise<void> => {
      const tip = (await b.tip()).height;
      if (height > tip) await b.mine(height - tip);
    };

    beforeAll(async () => {
      target = await make();
      b = target.backend;
      coreVersion = (await b.policyInfo()).version;
      // Warm up the faucet/wallet so later fund() calls mine exactly one block.
      await fundKey(50_000n);
    });
    afterAll(async () => {
      await target?.close?.();
    });

    it('fund() returns an output of the requested amount with one confirmation, unspent', async () => {
      const f = await b.fund(kp.script, 123_456n);
      expect(f.amount).toBe(123_456n);
      const info = await b.getTransaction(f.txid);
      expect(info.confirmation?.confirmations).toBe(1);
      expect(info.confirmation?.height).toBe(f.height);
      expect((await b.tip()).height).toBe(f.height);
      const out = decodeTx(info.tx).outputs[f.vout]!;
      expect(out.value).toBe(123_456n);
      expect(equalBytes(out.script, kp.script)).toBe(true);
      expect(await b.getSpend({ txid: f.txid, vout: f.vout })).toEqual({ spent: false });
      await expect(b.getTransaction('00'.repeat(32))).rejects.toSatisfy((e) => NotFound.isInstance(e));
    });

    it('a P2TR key-path spend signed with noble schnorr is accepted, idempotent, then confirmed; a bad signature is refused', async () => {
      const f = await fundKey(100_000n);
      const s = spend({ inputs: [{ from: f, signer }], outputs: [{ value: 99_000n, script: kp.script }] });
      expectScriptError(await rejection(b.broadcast(corruptSig(s.tx))), 'Invalid Schnorr signature');
      const txid = await b.broadcast(s.raw);
      expect(txid).toBe(txidHex(s.tx));
      expect(await b.broadcast(s.raw)).toBe(txid);
      const inMempool = await b.getSpend({ txid: f.txid, vout: f.vout });
      expect(inMempool).toMatchObject({ spent: true, txid, vin: 0 });
      expect(inMempool.spent && inMempool.confirmation).toBeUndefined();
      expect((await b.getTransaction(txid)).confirmation).toBeUndefined();
      const confirmed = b.waitForConfirmation(txid);
      const [hash] = await b.mine(1);
      expect((await confirmed).blockHash).toBe(hash);
      const spent = await b.getSpend({ txid: f.txid, vout: f.vout });
      expect(spent.spent && spent.confirmation?.blockHash).toBe(hash);
      await b.waitForHeight((await b.tip()).height);
    });

    it('CLTV: nLockTime above the tip is non-final, a script lock above nLockTime fails the script, both pass at the height', async () => {
      const L = (await b.tip()).height + 6;
      const leaf = cltvLeaf(L, K.xonly);
      const out = p2trLeaf(K.xonly, leaf);
      const f0 = await b.fund(out.script, 50_000n);
      expect(f0.height).toBeLessThan(L - 1);
      const f = outOf(f0.txid, f0.vout, f0.amount, out.script);
      const leafSigner = { kind: 'leaf', priv: K.priv, leaf, control: out.control } as const;
      const early = spend({
        inputs: [{ from: f, signer: leafSigner, sequence: 0xfffffffe }],
        outputs: [{ value: 49_000n, script: kp.script }],
        locktime: L,
      });
      const r1 = await rejection(b.broadcast(early.raw));
      expect(r1.reason).toBe('non-final');
      const tip = (await b.tip()).height;
      const lowLock = spend({
        inputs: [{ from: f, signer: leafSigner, sequence: 0xfffffffe }],
        outputs: [{ value: 49_000n, script: kp.script }],
        locktime: tip,
      });
      expectScriptError(await rejection(b.broadcast(lowLock.raw)), 'Locktime requirement not satisfied');
      await mineTo(L - 1);
      expect((await rejection(b.broadcast(early.raw))).reason).toBe('non-final');
      await b.mine(1);
      expect(await b.broadcast(early.raw)).toBe(txidHex(early.tx));
      await b.mine(1);
    });

    it('BIP68/CSV: an early relative lock is non-BIP68-final, a CSV above nSequence fails the script, both pass when due', async () => {
      const f = await fundKey(60_000n);
      const h = (await b.getTransaction(f.txid)).confirmation!.height;
      const rel = spend({
        inputs: [{ from: f, signer, sequence: 5 }],
        outputs: [{ value: 59_000n, script: kp.script }],
      });
      expect((await rejection(b.broadcast(rel.raw))).reason).toBe('non-BIP68-final');
      await mineTo(h + 3);
      expect((await rejection(b.broadcast(rel.raw))).reason).toBe('non-BIP68-final');
      await b.mine(1);
      expect(await b.broadcast(rel.raw)).toBe(txidHex(rel.tx));

      const leaf = csvLeaf(5, K.xonly);
      const out = p2trLeaf(K.xonly, leaf);
      const g0 = await b.fund(out.script, 50_000n);
      const g = outOf(g0.txid, g0.vout, g0.amount, out.script);
      const leafSigner = { kind: 'leaf', priv: K.priv, leaf, control: out.control } as const;
      await mineTo(g0.height + 4);
      const short = spend({
        inputs: [{ from: g, signer: leafSigner, sequence: 4 }],
        outputs: [{ value: 49_000n, script: kp.script }],
      });
      expectScriptError(await rejection(b.broadcast(short.raw)), 'Locktime requirement not satisfied');
      const due = spend({
        inputs: [{ from: g, signer: leafSigner, sequence: 5 }],
        outputs: [{ value: 49_000n, script: kp.script }],
      });
      expect(await b.broadcast(due.raw)).toBe(txidHex(due.tx));
      await b.mine(1);
    });

    it('double spends: a replacement must pay more (insufficient fee), full-RBF replaces a non-signalling tx, a spent input is missing', async () => {
      const f = await fundKey(100_000n);
      const tx1 = spend({
        inputs: [{ from: f, signer, sequence: 0xffffffff }],
        outputs: [{ value: 98_000n, script: kp.script }],
      });
      await b.broadcast(tx1.raw);
      const same = spend({
        inputs: [{ from: f, signer }],
        outputs: [
          { value: 98_000n, script: kp.script },
          { value: 330n, script: kp.script },
        ],
      });
      expect((await rejection(b.broadcast(same.raw))).reason).toBe('insufficient fee');
      const tx2 = spend({ inputs: [{ from: f, signer }], outputs: [{ value: 95_000n, script: kp.script }] });
      const t2 = await b.broadcast(tx2.raw);
      await expect(b.getTransaction(txidHex(tx1.tx))).rejects.toSatisfy((e) => NotFound.isInstance(e));
      await b.mine(1);
      expect((await b.getTransaction(t2)).confirmation?.confirmations).toBe(1);
      const tx3 = spend({ inputs: [{ from: f, signer }], outputs: [{ value: 90_000n, script: kp.script }] });
      expect((await rejection(b.broadcast(tx3.raw))).reason).toBe('missing-inputs');
      const child = spend({
        inputs: [{ from: outOf(txidHex(tx3.tx), 0, 90_000n), signer }],
        outputs: [{ value: 89_000n, script: kp.script }],
      });
      expect((await rejection(b.broadcastPackage(tx3.raw, child.raw))).reason).toBe(
        'bad-txns-inputs-missingorspent',
      );
    });

    it('TRUC: a v3 tx over 10,000 vB, a v3 child over 1,000 vB, mixed versions and a third generation are TRUC-violations', async () => {
      const big = await fundKey(200_000n);
      const many = Array.from({ length: 240 }, () => ({ value: 400n, script: kp.script }));
      const huge = spend({ version: 3, inputs: [{ from: big, signer }], outputs: many });
      expect(huge.vsize).toBeGreaterThan(10_000);
      expect((await rejection(b.broadcast(huge.raw))).reason).toBe('TRUC-violation');

      const f = await fundKey(200_000n);
      const parent = spend({
        version: 3,
        inputs: [{ from: f, signer }],
        outputs: [
          { value: 100_000n, script: kp.script },
          { value: 98_000n, script: kp.script },
        ],
      });
      await b.broadcast(parent.raw);
      const pid = txidHex(parent.tx);
      const fat = spend({
        version: 3,
        inputs: [{ from: outOf(pid, 0, 100_000n), signer }],
        outputs: Array.from({ length: 25 }, () => ({ value: 3_000n, script: kp.script })),
      });
      expect(fat.vsize).toBeGreaterThan(1_000);
      expect((await rejection(b.broadcast(fat.raw))).reason).toBe('TRUC-violation');
      const v2child = spend({
        version: 2,
        inputs: [{ from: outOf(pid, 0, 100_000n), signer }],
        outputs: [{ value: 99_000n, script: kp.script }],
      });
      expect((await rejection(b.broadcast(v2child.raw))).reason).toBe('TRUC-violation');
      const child = spend({
        version: 3,
        inputs: [{ from: outOf(pid, 0, 100_000n), signer }],
        outputs: [{ value: 99_000n, script: kp.script }],
      });
      await b.broadcast(child.raw);
      const grandchild = spend({
        version: 3,
        inputs: [{ from: outOf(txidHex(child.tx), 0, 99_000n), signer }],
        outputs: [{ value: 98_000n, script: kp.script }],
      });
      expect((await rejection(b.broadcast(grandchild.raw))).reason).toBe('TRUC-violation');

      const g = await fundKey(50_000n);
      const v2parent = spend({
        version: 2,
        inputs: [{ from: g, signer }],
        outputs: [{ value: 49_000n, script: kp.script }],
      });
      await b.broadcast(v2parent.raw);
      const v3child = spend({
        version: 3,
        inputs: [{ from: outOf(txidHex(v2parent.tx), 0, 49_000n), signer }],
        outputs: [{ value: 48_000n, script: kp.script }],
      });
      expect((await rejection(b.broadcast(v3child.raw))).reason).toBe('TRUC-violation');
      await b.mine(1);
    });

    it('TRUC sibling eviction: a second child must outbid the first, then evicts it', async () => {
      const f = await fundKey(200_000n);
      const parent = spend({
        version: 3,
        inputs: [{ from: f, signer }],
        outputs: [
          { value: 99_000n, script: kp.script },
          { value: 99_000n, script: kp.script },
        ],
      });
      await b.broadcast(parent.raw);
      const pid = txidHex(parent.tx);
      const first = spend({
        version: 3,
        inputs: [{ from: outOf(pid, 0, 99_000n), signer }],
        outputs: [{ value: 97_000n, script: kp.script }],
      });
      await b.broadcast(first.raw);
      const cheap = spend({
        version: 3,
        inputs: [{ from: outOf(pid, 1, 99_000n), signer }],
        outputs: [{ value: 98_000n, script: kp.script }],
      });
      expect((await rejection(b.broadcast(cheap.raw))).reason).toBe(
        'insufficient fee (including sibling eviction)',
      );
      const rich = spend({
        version: 3,
        inputs: [{ from: outOf(pid, 1, 99_000n), signer }],
        outputs: [{ value: 90_000n, script: kp.script }],
      });
      await b.broadcast(rich.raw);
      await expect(b.getTransaction(txidHex(first.tx))).rejects.toSatisfy((e) => NotFound.isInstance(e));
      await b.mine(1);
      expect((await b.getTransaction(txidHex(rich.tx))).confirmation?.confirmations).toBe(1);
    });

    it('P2A CPFP: a zero-fee v3 parent is refused alone and accepted in a package whose child spends the anchor', async () => {
      const f = await fundKey(100_000n);
      const feeCoin = await fundKey(50_000n);
      const parent = spend({
        version: 3,
        inputs: [{ from: f, signer }],
        outputs: [
          { value: 99_760n, script: kp.script },
          { value: 240n, script: P2A },
        ],
      });
      expect((await rejection(b.broadcast(parent.raw))).reason).toBe('min relay fee not met');
      const pid = txidHex(parent.tx);
      const anchor = { from: outOf(pid, 1, 240n, P2A), signer: { kind: 'anchor' } as const };
      const stingy = spend({
        version: 3,
        inputs: [anchor, { from: feeCoin, signer }],
        outputs: [{ value: 50_239n, script: kp.script }],
      });
      expect((await rejection(b.broadcastPackage(parent.raw, stingy.raw))).reason).toBe(
        'min relay fee not met',
      );
      const child = spend({
        version: 3,
        inputs: [anchor, { from: feeCoin, signer }],
        outputs: [{ value: 45_240n, script: kp.script }],
      });
      const r = await b.broadcastPackage(parent.raw, child.raw);
      expect(r).toMatchObject({ parentTxid: pid, childTxid: txidHex(child.tx) });
      await b.mine(1);
      expect((await b.getTransaction(pid)).confirmation?.confirmations).toBe(1);
      expect((await b.getTransaction(r.childTxid)).confirmation?.confirmations).toBe(1);
    });

    it('package RBF: an older parent with a richer child replaces a conflicting package; a poorer one is refused', async () => {
      const f = await fundKey(100_000n);
      const fee1 = await fundKey(50_000n);
      const fee2 = await fundKey(50_000n);
      const p1 = spend({
        version: 3,
        inputs: [{ from: f, signer }],
        outputs: [
          { value: 99_760n, script: kp.script },
          { value: 240n, script: P2A },
        ],
      });
      const p1id = txidHex(p1.tx);
      const c1 = spend({
        version: 3,
        inputs: [
          { from: outOf(p1id, 1, 240n, P2A), signer: { kind: 'anchor' } },
          { from: fee1, signer },
        ],
        outputs: [{ value: 48_240n, script: kp.script }],
      });
      await b.broadcastPackage(p1.raw, c1.raw);
      const p2 = spend({
        version: 3,
        inputs: [{ from: f, signer }],
        outputs: [
          { value: 99_000n, script: kp.script },
          { value: 760n, script: kp.script },
          { value: 240n, script: P2A },
        ],
      });
      const p2id = txidHex(p2.tx);
      const anchor2 = { from: outOf(p2id, 2, 240n, P2A), signer: { kind: 'anchor' } as const };
      const poor = spend({
        version: 3,
        inputs: [anchor2, { from: fee2, signer }],
        outputs: [{ value: 49_240n, script: kp.script }],
      });
      const r = await rejection(b.broadcastPackage(p2.raw, poor.raw));
      expect(r.reason).toBe('package RBF failed: insufficient anti-DoS fees');
      const rich = spend({
        version: 3,
        inputs: [anchor2, { from: fee2, signer }],
        outputs: [{ value: 30_240n, script: kp.script }],
      });
      const ok = await b.broadcastPackage(p2.raw, rich.raw);
      expect([...ok.replacedTxids].sort()).toEqual([p1id, txidHex(c1.tx)].sort());
      await expect(b.getTransaction(p1id)).rejects.toSatisfy((e) => NotFound.isInstance(e));
      await b.mine(1);
      expect((await b.getTransaction(p2id)).confirmation?.confirmations).toBe(1);
    });

    it('dust: P2TR below 330 and P2A below 240 sats are dust; exactly 330 and 240 relay', async () => {
      const f = await fundKey(100_000n);
      const below = spend({
        inputs: [{ from: f, signer }],
        outputs: [
          { value: 329n, script: kp.script },
          { value: 98_000n, script: kp.script },
        ],
      });
      expect((await rejection(b.broadcast(below.raw))).reason).toBe('dust');
      const anchorBelow = spend({
        inputs: [{ from: f, signer }],
        outputs: [
          { value: 239n, script: P2A },
          { value: 98_000n, script: kp.script },
        ],
      });
      expect((await rejection(b.broadcast(anchorBelow.raw))).reason).toBe('dust');
      const at = spend({
        inputs: [{ from: f, signer }],
        outputs: [
          { value: 330n, script: kp.script },
          { value: 240n, script: P2A },
          { value: 98_000n, script: kp.script },
        ],
      });
      expect(await b.broadcast(at.raw)).toBe(txidHex(at.tx));
      await b.mine(1);
    });

    it('reorg: invalidating the block returns its transaction to the mempool; re-mining confirms it on a new block', async () => {
      const f = await fundKey(100_000n);
      const s = spend({ inputs: [{ from: f, signer }], outputs: [{ value: 99_000n, script: kp.script }] });
      const txid = await b.broadcast(s.raw);
      const [hash] = await b.mine(1);
      const H = (await b.tip()).height;
      expect((await b.getTransaction(txid)).confirmation?.blockHash).toBe(hash);
      await b.invalidateBlock(hash!);
      expect((await b.tip()).height).toBe(H - 1);
      expect((await b.getTransaction(txid)).confirmation).toBeUndefined();
      const spendStatus = await b.getSpend({ txid: f.txid, vout: f.vout });
      expect(spendStatus).toMatchObject({ spent: true, txid });
      // A different coinbase script, so the new block can never equal the invalidated one.
      const [again] = await b.mine(1, { scriptPubKey: kp.script });
      expect(again).not.toBe(hash);
      expect((await b.getTransaction(txid)).confirmation).toMatchObject({ blockHash: again, height: H });
      const [blk] = await b.blocksSince(H - 1);
      expect(blk?.hash).toBe(again);
      expect(blk?.txids).toContain(txid);
      expect(await b.blockHash(H)).toBe(again);
    });

    it('mock time drives block timestamps and median time past; time-based nLockTime and CSV follow MTP', async () => {
      const mtpOfTip = async (): Promise<number> => {
        const t = await b.tip();
        const [blk] = await b.blocksSince(t.height - 1);
        return blk!.mediantime;
      };
      const T = Math.max(Math.floor(Date.now() / 1000), await mtpOfTip()) + 1000;
      await b.setMockTime(T);
      await b.mine(11);
      expect(await mtpOfTip()).toBe(T);
      const f = await fundKey(60_000n);
      const m = await mtpOfTip();
      const timeLocked = spend({
        inputs: [{ from: f, signer, sequence: 0xfffffffe }],
        outputs: [{ value: 59_000n, script: kp.script }],
        locktime: m + 600,
      });
      expect((await rejection(b.broadcast(timeLocked.raw))).reason).toBe('non-final');
      const csv = spend({
        inputs: [{ from: f, signer, sequence: SEQUENCE_LOCKTIME_TYPE_FLAG | 2 }],
        outputs: [{ value: 59_000n, script: kp.script }],
      });
      expect((await rejection(b.broadcast(csv.raw))).reason).toBe('non-BIP68-final');
      await b.setMockTime(m + 700);
      await b.mine(11);
      expect(await mtpOfTip()).toBe(m + 700);
      expect(await b.broadcast(timeLocked.raw)).toBe(txidHex(timeLocked.tx));
      await b.mine(1);
      const g = await fundKey(60_000n);
      const m2 = await mtpOfTip();
      const csv2 = spend({
        inputs: [{ from: g, signer, sequence: SEQUENCE_LOCKTIME_TYPE_FLAG | 2 }],
        outputs: [{ value: 59_000n, script: kp.script }],
      });
      expect((await rejection(b.broadcast(csv2.raw))).reason).toBe('non-BIP68-final');
      await b.setMockTime(m2 + 1100);
      await b.mine(11);
      expect(await b.broadcast(csv2.raw)).toBe(txidHex(csv2.tx));
      await b.mine(1);
      await b.setMockTime(0);
    });

    it('fee rates are integers in sat/kvB, at least the relay fee, and at least 1,000 for pre-signed transactions', async () => {
      const info = await b.policyInfo();
      for (const purpose of ['presigned', 'cpfp', 'urgent', 'economical'] as const) {
        const r = await b.feeRate(purpose);
        expect(Number.isInteger(r)).toBe(true);
        expect(r).toBeGreaterThanOrEqual(info.minRelayFeeRate);
      }
      expect(await b.feeRate('presigned')).toBeGreaterThanOrEqual(1000);
    });

    it("maxfeerate: a fee above Core's default 0.10 BTC/kvB is max-fee-exceeded; just below it is accepted", async () => {
      const f = await fundKey(2_000_000n);
      // ~111 vB paying 1,999,000 sat: ~18,000 sat/vB, above 10,000 sat/vB (0.10 BTC/kvB).
      const greedy = spend({
        inputs: [{ from: f, signer }],
        outputs: [{ value: 1_000n, script: kp.script }],
      });
      const r = await rejection(b.broadcast(greedy.raw));
      expect(r.reason).toBe('max-fee-exceeded');
      // 10,000 sat/vB exactly (fee = maxfeerate.GetFee(vsize)) is not above the maximum.
      const probe = spend({
        inputs: [{ from: f, signer }],
        outputs: [{ value: 50_000n, script: kp.script }],
      });
      const atMax = spend({
        inputs: [{ from: f, signer }],
        outputs: [{ value: 2_000_000n - 10_000n * BigInt(probe.vsize), script: kp.script }],
      });
      expect(atMax.vsize).toBe(probe.vsize);
      expect(await b.broadcast(atMax.raw)).toBe(txidHex(atMax.tx));
    });

    it('maxburnamount: an OP_RETURN output carrying value is refused by sendrawtransaction, before policy; with no value it relays', async () => {
      const f = await fundKey(100_000n);
      const opReturn = Uint8Array.of(0x6a, 0x01, 0x2a);
      const burn = spend({
        inputs: [{ from: f, signer }],
        outputs: [
          { value: 1n, script: opReturn },
          { value: 98_000n, script: kp.script },
        ],
      });
      expect((await rejection(b.broadcast(burn.raw))).reason).toBe(
        'Unspendable output exceeds maximum configured by user (maxburnamount)',
      );
      // Checked before anything else: even a transaction that is also non-final is refused for it.
      const early = spend({
        locktime: (await b.tip()).height + 50,
        inputs: [{ from: f, signer }],
        outputs: [
          { value: 1n, script: opReturn },
          { value: 98_000n, script: kp.script },
        ],
      });
      expect((await rejection(b.broadcast(early.raw))).reason).toBe(
        'Unspendable output exceeds maximum configured by user (maxburnamount)',
      );
      const data = spend({
        inputs: [{ from: f, signer }],
        outputs: [
          { value: 0n, script: opReturn },
          { value: 98_000n, script: kp.script },
        ],
      });
      expect(await b.broadcast(data.raw)).toBe(txidHex(data.tx));
    });

    it('a zero-fee version-2 parent: refused alone; in a 1-parent-1-child package accepted from Core 31, refused by Core 28–30', async () => {
      const f = await fundKey(100_000n);
      const parent = spend({
        inputs: [{ from: f, signer }],
        outputs: [{ value: 100_000n, script: kp.script }],
      });
      const pid = txidHex(parent.tx);
      expect((await rejection(b.broadcast(parent.raw))).reason).toBe('min relay fee not met');
      const child = spend({
        inputs: [{ from: outOf(pid, 0, 100_000n), signer }],
        outputs: [{ value: 98_000n, script: kp.script }],
      });
      if (coreVersion >= 310000) {
        const r = await b.broadcastPackage(parent.raw, child.raw);
        expect(r).toMatchObject({ parentTxid: pid, childTxid: txidHex(child.tx) });
        await b.mine(1);
        expect((await b.getTransaction(pid)).confirmation?.confirmations).toBe(1);
      } else {
        expect((await rejection(b.broadcastPackage(parent.raw, child.raw))).reason).toBe(
          'min relay fee not met',
        );
      }
    });
  });
}
