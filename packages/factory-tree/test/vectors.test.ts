// The package's own vectors (vectors/*.json): each file's proposal is rebuilt from the file alone and
// every published field must match; independently of this package's codec, each txid is recomputed
// with @superscalar/chain's transaction codec and each sighash with chain's BIP341 code, and the
// amounts, fees, vsizes and parent links are checked for consistency. If the tree builder changes on
// purpose, regenerate: `npx tsx --conditions=source scripts/gen-vectors.ts` (see vectors/README.md).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  txidHex as chainTxidHex,
  createTx,
  decodeTx,
  encodeTx,
  fromDisplayHex,
  taprootSighash,
  vsize,
} from '@superscalar/chain';
import { describe, expect, it } from 'vitest';
import { proposalJson, treeJson, VECTOR_SPECS } from '../scripts/gen-vectors.js';
import { buildTree, createProposal, type ProposalInput } from '../src/index.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors');
const REGENERATE =
  'the tree builder changed: if on purpose, run `npx tsx --conditions=source scripts/gen-vectors.ts`';

const unhex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON of a published vector
type Json = any;

/** The proposal input exactly as the file states it (every §2 field explicit, T included). */
function inputFromJson(p: Json): ProposalInput {
  return {
    network: p.network,
    proposalHeight: p.proposalHeight,
    lsp: { key: unhex(p.lsp.key), closeScript: unhex(p.lsp.closeScript) },
    clients: p.clients.map((c: Json) => ({
      key: unhex(c.key),
      closeScript: unhex(c.closeScript),
      capacity: BigInt(c.capacity),
      balance: BigInt(c.balance),
    })),
    placement: p.placement,
    leafArity: p.leafArity,
    levelArity: p.levelArity,
    staticLevels: p.staticLevels,
    dw: p.dw,
    lStock: p.lStock === null ? undefined : p.lStock.map(BigInt),
    treeFeeRate: p.treeFeeRate,
    timeoutStep: p.timeoutStep,
    activeBlocks: p.activeBlocks,
    dyingBlocks: p.dyingBlocks,
    exitMargin: p.exitMargin,
    fundingTimeout: p.fundingTimeout,
    minimumDepth: p.minimumDepth,
    commitFeeRate: p.commitFeeRate,
    lStockCsv: p.lStockCsv,
    toSelfDelay: p.toSelfDelay,
    htlcBudget: p.htlcBudget,
    T: p.T,
    funding: { txid: p.funding.txid, vout: p.funding.vout, amount: BigInt(p.funding.amount) },
    poisonHashes: p.poisonHashes.map(unhex),
  };
}

describe('published vectors', () => {
  it('vectors/ holds exactly the files the generator writes', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.sort()).toEqual(VECTOR_SPECS.map((s) => s.file).sort());
  });

  for (const spec of VECTOR_SPECS) {
    describe(spec.file, () => {
      const v: Json = JSON.parse(readFileSync(join(dir, spec.file), 'utf8'));

      it('says it is regtest with §2 defaults, and its proposal round-trips', () => {
        expect(v.description).toMatch(/regtest with brief §2's regtest defaults/);
        expect(v.proposal.network).toBe('regtest');
        expect(v.proposal.dw).toEqual({ K: 4, S: 10 });
        expect(v.proposal.toSelfDelay).toBe(6);
        const p = createProposal(inputFromJson(v.proposal));
        expect(proposalJson(p), REGENERATE).toEqual(v.proposal);
      });

      it('rebuilding from the file gives every published field', { timeout: 120_000 }, () => {
        const t = buildTree(createProposal(inputFromJson(v.proposal)));
        const rebuilt = treeJson(t);
        expect(rebuilt.shape, REGENERATE).toEqual(v.shape);
        expect(rebuilt.funding, REGENERATE).toEqual(v.funding);
        expect(rebuilt.totalFees, REGENERATE).toBe(v.totalFees);
        expect(rebuilt.transactions.length, REGENERATE).toBe(v.transactions.length);
        rebuilt.transactions.forEach((tx, i) => {
          expect(tx, `${REGENERATE} (transaction ${i})`).toEqual(v.transactions[i]);
        });
      });

      it("every txid and sighash agrees with @superscalar/chain's codec and BIP341 code", {
        timeout: 120_000,
      }, () => {
        const txs: Json[] = v.transactions;
        let fees = 0n;
        for (const tx of txs) {
          const parent = tx.parent < 0 ? undefined : txs[tx.parent];
          const prevTxid = fromDisplayHex(parent === undefined ? v.proposal.funding.txid : parent.txid);
          const vout = parent === undefined ? v.proposal.funding.vout : tx.parentVout;
          const outputs = tx.outputs.map((o: Json) => ({ value: BigInt(o.value), script: unhex(o.script) }));
          const built = createTx({
            version: tx.version,
            inputs: [{ prevTxid, vout, sequence: tx.nSequence }],
            outputs,
            locktime: tx.locktime,
          });
          expect(chainTxidHex(built)).toBe(tx.txid);
          expect(encodeTx(built, { witness: false })).toEqual(unhex(tx.unsignedHex));
          expect(chainTxidHex(decodeTx(unhex(tx.unsignedHex)))).toBe(tx.txid);
          // The spent output is the funding output or the parent's output at parentVout.
          const spentScript = parent === undefined ? v.funding.script : parent.outputs[tx.parentVout].script;
          const spentValue =
            parent === undefined ? v.proposal.funding.amount : parent.outputs[tx.parentVout].value;
          expect(tx.spentScript).toBe(spentScript);
          expect(tx.inputAmount).toBe(spentValue);
          expect(tx.spentScript).toBe(`5120${tx.spentOutputKey}`);
          const sighash = taprootSighash(
            built,
            0,
            [{ value: BigInt(tx.inputAmount), script: unhex(spentScript) }],
            0,
          );
          expect(Buffer.from(sighash as Uint8Array).toString('hex')).toBe(tx.sighash);
          // Exact fee from the final size with a 64-byte key-path witness (§1), amounts bottom-up (§4.4).
          const signed = createTx({
            version: tx.version,
            inputs: [{ prevTxid, vout, sequence: tx.nSequence, witness: [new Uint8Array(64)] }],
            outputs,
            locktime: tx.locktime,
          });
          expect(vsize(signed)).toBe(tx.vsize);
          const rate = BigInt(v.proposal.treeFeeRate);
          expect(BigInt(tx.fee)).toBe((rate * BigInt(tx.vsize) + 999n) / 1000n);
          const out = outputs.reduce((a: bigint, o: { value: bigint }) => a + o.value, 0n);
          expect(out + BigInt(tx.fee)).toBe(BigInt(tx.inputAmount));
          expect(tx.outputs.at(-1)).toEqual({ value: '240', script: '51024e73', role: 'anchor' });
          expect(tx.version).toBe(3);
          expect(tx.locktime).toBe(0);
          expect(tx.nSequence).toBe(
            tx.kind === 'kickoff' ? 0xffffffff : v.proposal.dw.S * (v.proposal.dw.K - 1),
          );
          fees += BigInt(tx.fee);
        }
        expect(fees.toString()).toBe(v.totalFees);
        expect(v.funding.script).toBe(`5120${v.funding.outputKey}`);
      });
    });
  }
});
