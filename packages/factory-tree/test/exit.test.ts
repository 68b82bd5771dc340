// Unit and property tests of the exit builders (brief §6): heights, the exit path, the CPFP child and
// the LSP's script-path spends, each cross-checked with @superscalar/chain's independent code.
import {
  calculateSequenceLocks,
  tapLeafHash as chainTapLeafHash,
  vsize as chainVsize,
  createTx,
  decodeTx,
  STANDARD_FLAGS,
  verifyTaprootCommitment,
  verifyTx,
} from '@superscalar/chain';
import { displayHex } from '@superscalar/tx';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  anchoredParent,
  buildCpfpChild,
  earliestInclusion,
  exitPath,
  type FactoryTree,
  FactoryTreeError,
  InvalidArgumentError,
  lStockSpend,
  PathVerificationError,
  SpendError,
  signCpfpChildBip86,
  signedCpfpChildBytes,
  signingPlan,
  signLspScriptPathSpend,
  signTreeSimulated,
  type TreeTx,
  timeoutRecovery,
} from '../src/index.js';
import { p2trOf, participants, testSecretKey, unfundedTree } from './_harness.js';

const RUNS = propertyRuns(300, 40);
console.log(`exit properties: ${RUNS} runs each`);

describe('earliestInclusion (BIP68, judged at tip + 1)', () => {
  it('agrees with Core-style CalculateSequenceLocks from @superscalar/chain for block-based and disabled locks', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.constant(0xffffffff), fc.constant(0xfffffffe)),
        (h, sequence) => {
          const at = earliestInclusion(h, sequence);
          const tx = createTx({
            version: 3,
            locktime: 0,
            inputs: [{ prevTxid: new Uint8Array(32), vout: 0, sequence, witness: [] }],
            outputs: [{ value: 1000n, script: Uint8Array.of(0x51) }],
          });
          const locks = calculateSequenceLocks(tx, [{ height: h, prevMtp: 0 }]);
          // Valid in block `at.block`, and no earlier block after the parent's.
          expect(locks.minHeight < at.block).toBe(true);
          if (at.block - 1 > h) expect(locks.minHeight < at.block - 1).toBe(false);
          expect(at.block).toBeGreaterThan(h);
          expect(at.broadcastTip).toBe(at.block - 1);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('refuses a time-based relative lock', () => {
    expect(() => earliestInclusion(100, 0x00400010)).toThrow(InvalidArgumentError);
  });
});

describe('exitPath', () => {
  let tree: FactoryTree;
  let sigs: Uint8Array[];
  beforeAll(() => {
    tree = unfundedTree({ n: 5 });
    sigs = signTreeSimulated(tree, participants(5).secretKeys);
  });

  it("lists each client's own path, with projected heights and the smallest T_k as deadline", () => {
    const p = tree.proposal;
    for (let c = 0; c < 5; c++) {
      const e = exitPath(tree, c, { signatures: sigs, heights: { fundingConfirmedAt: 300 } });
      const leaf = tree.layout.leafClients.findIndex((l) => l.includes(c));
      expect(e.leaf).toBe(leaf);
      expect(e.steps.map((s) => s.tx)).toEqual(tree.layout.leafPaths[leaf]);
      expect(e.steps[0]?.projected).toBe(false);
      expect(e.steps.slice(1).every((s) => s.projected)).toBe(true);
      let h = 300;
      for (const s of e.steps) {
        expect(s.parentConfirmedAt).toBe(h);
        expect(s.earliestBlock).toBe(h + Math.max(1, s.relativeLock));
        h = s.earliestBlock;
        const t = tree.txs[s.tx] as TreeTx;
        expect(s.relativeLock).toBe(t.kind === 'state' ? p.dw.S * (p.dw.K - 1) : 0);
        expect(decodeTx(s.bytes).inputs[0]?.witness).toEqual([sigs[s.tx]]);
      }
      expect(e.deadline).toBe(p.T - (e.steps.length - 1) * p.timeoutStep);
      expect(e.channel.Tk).toBe(e.deadline);
      const st = tree.txs[e.steps.at(-1)?.tx as number] as TreeTx;
      expect(e.channel.txid).toBe(st.txid);
      expect(st.outputRoles[e.channel.vout]).toMatchObject({ kind: 'channel', client: c });
    }
  });

  it('uses known confirmation heights and rejects one before the earliest block', () => {
    const e = exitPath(tree, 0, {
      signatures: sigs,
      heights: { fundingConfirmedAt: 300, confirmedAt: [305, 400] },
    });
    expect(e.steps[1]?.parentConfirmedAt).toBe(305);
    expect(e.steps[1]?.earliestBlock).toBe(335);
    expect(e.steps[2]?.parentConfirmedAt).toBe(400);
    expect(e.steps[2]?.projected).toBe(false);
    expect(e.steps[3]?.projected).toBe(true);
    expect(() =>
      exitPath(tree, 0, { signatures: sigs, heights: { fundingConfirmedAt: 300, confirmedAt: [305, 334] } }),
    ).toThrow(/confirmedAt\[1\]/);
  });

  it('refuses a missing or invalid signature on the path, naming the transaction', () => {
    const path = tree.layout.leafPaths[0] as readonly number[];
    const missing = sigs.map((s, i) => (i === path[2] ? undefined : s));
    expect(() => exitPath(tree, 0, { signatures: missing, heights: { fundingConfirmedAt: 1 } })).toThrow(
      expect.objectContaining({ tx: path[2], fault: 'missing-tx' }),
    );
    const bad = sigs.map((s, i) =>
      i === path[1] ? Uint8Array.from(s, (b, j) => (j === 63 ? b ^ 1 : b)) : s,
    );
    const err = (() => {
      try {
        exitPath(tree, 0, { signatures: bad, heights: { fundingConfirmedAt: 1 } });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(PathVerificationError);
    expect(err).toMatchObject({ tx: path[1], fault: 'signature-invalid' });
    // Another leaf's signatures do not matter to client 0.
    const other = tree.layout.leafPaths[2] as readonly number[];
    const foreign = sigs.map((s, i) => (i === other.at(-1) ? undefined : s));
    expect(() =>
      exitPath(tree, 0, { signatures: foreign, heights: { fundingConfirmedAt: 1 } }),
    ).not.toThrow();
    expect(() => exitPath(tree, 5, { signatures: sigs, heights: { fundingConfirmedAt: 1 } })).toThrow(
      InvalidArgumentError,
    );
  });
});

describe('exitPath over random shapes', () => {
  const runs = propertyRuns(20, 5);
  it(`every client's exit path is its signing-plan path, scheduled by its locks, with the smallest T_k as deadline (${runs} runs)`, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.constantFrom<1 | 2>(1, 2),
        fc.constantFrom([2], [3], [2, 3]),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 10_000 }),
        (n, leafArity, levelArity, staticLevels, fundingAt) => {
          const tree = unfundedTree({
            n,
            tag: `shape${n}`,
            overrides: { leafArity, levelArity, staticLevels },
          });
          const p = tree.proposal;
          const sigs = signTreeSimulated(tree, participants(n, `shape${n}`).secretKeys);
          const plan = signingPlan(tree);
          for (let c = 0; c < n; c++) {
            const e = exitPath(tree, c, { signatures: sigs, heights: { fundingConfirmedAt: fundingAt } });
            expect(e.steps.map((s) => s.tx)).toEqual(plan.byParticipant[c + 1]);
            let h = fundingAt;
            let minT = Number.POSITIVE_INFINITY;
            for (const s of e.steps) {
              const t = tree.txs[s.tx] as TreeTx;
              h += t.kind === 'state' ? Math.max(1, t.tx.inputs[0]?.sequence as number) : 1;
              expect(s.earliestBlock).toBe(h);
              minT = Math.min(minT, p.T - t.k * p.timeoutStep);
            }
            expect(e.deadline).toBe(minT);
            expect(e.deadline).toBe(p.T - (e.steps.length - 1) * p.timeoutStep);
          }
        },
      ),
      { numRuns: runs },
    );
  }, 120_000);
});

describe('buildCpfpChild', () => {
  const sk = testSecretKey('cpfp');
  const script = p2trOf(sk);

  it('reaches the package feerate with the smallest fee, is ≤ 1,000 vB, and verifies in the chain interpreter', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 10_000 }),
        fc.bigInt({ min: 0n, max: 50_000n }),
        fc.integer({ min: 0, max: 200_000 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => displayHex(b)),
        (parentVsize, parentFee, feeRate, parentTxid) => {
          const feeCoin = { txid: 'cd'.repeat(32), vout: 1, value: 5_000_000n, script };
          const parent = {
            txid: parentTxid,
            anchorVout: 2,
            anchorValue: 240n,
            fee: parentFee,
            vsize: parentVsize,
          };
          const child = buildCpfpChild({ parent, feeCoin, changeScript: script, feeRate });
          const bytes = signCpfpChildBip86(child, sk, new Uint8Array(32));
          const tx = decodeTx(bytes);
          expect(chainVsize(tx)).toBe(child.vsize);
          expect(child.vsize).toBeLessThanOrEqual(1000);
          expect(tx.version).toBe(3);
          expect(tx.inputs[0]?.witness).toEqual([]);
          expect(tx.inputs[0]?.vout).toBe(2);
          expect(tx.outputs[0]?.value).toBe(feeCoin.value + 240n - child.fee);
          verifyTx(tx, child.spent, STANDARD_FLAGS);
          const rate = BigInt(feeRate);
          const total = BigInt(parentVsize + child.vsize);
          const own = (rate * BigInt(child.vsize) + 999n) / 1000n;
          expect((parentFee + child.fee) * 1000n >= rate * total).toBe(true);
          expect(child.fee >= own).toBe(true);
          // Minimal: one sat less misses the package rate, unless the child's own-rate floor binds.
          if (child.fee > own) expect((parentFee + child.fee - 1n) * 1000n >= rate * total).toBe(false);
          expect(child.packageFeeRate).toBeGreaterThanOrEqual(feeRate);
        },
      ),
      { numRuns: Math.max(10, Math.floor(RUNS / 4)) },
    );
  });

  it('refuses a fee coin that cannot pay, a non-P2TR coin, and a key that does not own the coin', () => {
    const parent = { txid: '00'.repeat(32), anchorVout: 1, anchorValue: 240n, fee: 0n, vsize: 500 };
    const coin = { txid: 'cd'.repeat(32), vout: 0, value: 600n, script };
    expect(() => buildCpfpChild({ parent, feeCoin: coin, changeScript: script, feeRate: 5_000 })).toThrow(
      expect.objectContaining({ fault: 'fee-coin-too-small' }),
    );
    const e = (() => {
      try {
        buildCpfpChild({ parent, feeCoin: coin, changeScript: script, feeRate: 5_000 });
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(SpendError);
    expect(FactoryTreeError.isInstance(e)).toBe(true);
    expect(() =>
      buildCpfpChild({
        parent,
        feeCoin: { ...coin, value: 100_000n, script: new Uint8Array(34) },
        changeScript: script,
        feeRate: 1000,
      }),
    ).toThrow(InvalidArgumentError);
    const child = buildCpfpChild({
      parent,
      feeCoin: { ...coin, value: 100_000n },
      changeScript: script,
      feeRate: 1000,
    });
    expect(() => signCpfpChildBip86(child, testSecretKey('other'))).toThrow(InvalidArgumentError);
    // A secret key the curve rejects (zero) and a short auxRand are argument errors, not the curve's.
    expect(() => signCpfpChildBip86(child, new Uint8Array(32))).toThrow(InvalidArgumentError);
    expect(() => signCpfpChildBip86(child, testSecretKey('other'), new Uint8Array(31))).toThrow(
      InvalidArgumentError,
    );
    expect(() => signedCpfpChildBytes(child, new Uint8Array(63))).toThrow(InvalidArgumentError);
  });

  it('anchoredParent reads the anchor, fee and size of a tree transaction', () => {
    const t = unfundedTree({ n: 2 }).txs[0] as TreeTx;
    expect(anchoredParent(t)).toMatchObject({ anchorVout: 1, anchorValue: 240n, fee: t.fee, vsize: t.vsize });
  });
});

describe('LSP script-path spends', () => {
  let tree: FactoryTree;
  beforeAll(() => {
    tree = unfundedTree({ n: 3 });
  });
  const lsp = participants(3).secretKeys[0] as Uint8Array;

  it('timeout recovery of every node and channel output: the §6 form, a committed leaf, a signature the interpreter accepts once T_k is the locktime', () => {
    const p = tree.proposal;
    for (const t of tree.txs)
      t.outputRoles.forEach((role, vout) => {
        if (role.kind !== 'node' && role.kind !== 'channel') return;
        const rec = timeoutRecovery(tree, { tx: t.index, vout }, { feeRate: 1_234 });
        expect(rec.tx).toMatchObject({ version: 3, locktime: role.Tk, inputs: [{ sequence: 0xfffffffe }] });
        expect(rec.tx.outputs).toHaveLength(1);
        expect(rec.tx.outputs[0]?.script).toEqual(p.lsp.closeScript);
        const out = t.tx.outputs[vout] as { value: bigint; script: Uint8Array };
        expect(
          verifyTaprootCommitment(rec.controlBlock, out.script.subarray(2), chainTapLeafHash(rec.leafScript)),
        ).toBe(true);
        const bytes = signLspScriptPathSpend(rec, lsp, new Uint8Array(32));
        const tx = decodeTx(bytes);
        expect(tx.inputs[0]?.witness).toHaveLength(3);
        verifyTx(tx, [out], STANDARD_FLAGS);
        expect(chainVsize(tx)).toBe(rec.vsize);
        expect(out.value - (tx.outputs[0]?.value as bigint)).toBe(
          (1_234n * BigInt(rec.vsize) + 999n) / 1000n,
        );
      });
  });

  it('the L-stock spend: nSequence lStockCsv, a 65-byte control block whose path is the poison leaf', () => {
    for (let leaf = 0; leaf < tree.layout.leafPaths.length; leaf++) {
      const ls = lStockSpend(tree, leaf, { feeRate: 1000, destination: p2trOf(testSecretKey('dest')) });
      const st = tree.txs[tree.layout.leafPaths[leaf]?.at(-1) as number] as TreeTx;
      const vout = st.outputRoles.findIndex((r) => r.kind === 'lstock');
      const tap = st.outputTaproot[vout];
      expect(ls.tx).toMatchObject({
        version: 3,
        locktime: 0,
        inputs: [{ sequence: tree.proposal.lStockCsv }],
      });
      expect(ls.leafScript).toEqual(tap?.leaves[0]);
      expect(ls.controlBlock).toHaveLength(65);
      expect(ls.controlBlock.subarray(33)).toEqual(chainTapLeafHash(tap?.leaves[1] as Uint8Array));
      const out = st.tx.outputs[vout] as { value: bigint; script: Uint8Array };
      const tx = decodeTx(signLspScriptPathSpend(ls, lsp));
      verifyTx(tx, [out], STANDARD_FLAGS);
      expect(tx.outputs[0]?.script).toEqual(p2trOf(testSecretKey('dest')));
    }
  });

  it('refuses anchors and L-stock outputs for a timeout recovery, dust after the fee, and a wrong key', () => {
    const leafState = tree.txs[tree.layout.leafPaths[0]?.at(-1) as number] as TreeTx;
    const anchor = leafState.tx.outputs.length - 1;
    const lstock = leafState.outputRoles.findIndex((r) => r.kind === 'lstock');
    for (const vout of [anchor, lstock])
      expect(() => timeoutRecovery(tree, { tx: leafState.index, vout }, { feeRate: 1000 })).toThrow(
        expect.objectContaining({ fault: 'not-a-timeout-output' }),
      );
    expect(() => timeoutRecovery(tree, { tx: leafState.index, vout: 0 }, { feeRate: 10_000_000 })).toThrow(
      expect.objectContaining({ fault: 'below-dust' }),
    );
    expect(() => timeoutRecovery(tree, { tx: leafState.index, vout: 9 }, { feeRate: 1000 })).toThrow(
      InvalidArgumentError,
    );
    const rec = timeoutRecovery(tree, { tx: 0, vout: 0 }, { feeRate: 1000 });
    expect(() => signLspScriptPathSpend(rec, testSecretKey('not the lsp'))).toThrow(InvalidArgumentError);
    expect(() => signLspScriptPathSpend(rec, new Uint8Array(32).fill(0xff))).toThrow(InvalidArgumentError);
  });
});
