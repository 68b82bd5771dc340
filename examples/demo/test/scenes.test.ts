// The demo's unilateral scenes (`--force-close`, `--timeout`, `--distribution`), each run as `pnpm demo`
// runs it (a child process, real loopback Noise connections, SimChain in process); the JSON document is
// checked against the raw transactions it carries: each step's txid, what it spends, its locks and the
// heights it was broadcast at and confirmed in.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeTx, toDisplayHex, txidHex } from '@superscalar/chain';
import { discoverBitcoind } from '@superscalar/chain/bitcoind';
import { fromHex } from '@superscalar/core';
import { describe, expect, it } from 'vitest';
import type { SceneReport, SceneStep } from '../src/scenes.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..');

const bitcoind = discoverBitcoind();
if (!bitcoind.ok) console.log(`--regtest --force-close skipped: ${bitcoind.why}`);

function runScene(flag: string, regtest = false): SceneReport {
  const out = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--conditions=source', 'index.ts', '--json', flag, ...(regtest ? ['--regtest'] : [])],
    { cwd: dir, encoding: 'utf8', timeout: 300_000 },
  );
  expect(out.status, `exit ${out.status}\nstderr: ${out.stderr}\nstdout: ${out.stdout.slice(0, 4000)}`).toBe(
    0,
  );
  const doc = JSON.parse(out.stdout) as SceneReport;
  expect(doc.ok).toBe(true);
  expect(doc.chain.kind).toBe(regtest ? 'bitcoind' : 'simchain');
  // Every step is the transaction the chain holds under its txid.
  for (const s of doc.steps) expect(txidHex(decodeTx(fromHex(s.raw)))).toBe(s.txid);
  return doc;
}

const tx = (s: SceneStep) => decodeTx(fromHex(s.raw));
const spends = (s: SceneStep) => toDisplayHex((tx(s).inputs[0] as { prevTxid: Uint8Array }).prevTxid);
const csvOf = (s: SceneStep) => {
  const seq = (tx(s).inputs[0] as { sequence: number }).sequence;
  return (seq & 0x80000000) !== 0 ? 0 : seq & 0xffff;
};

describe('the demo’s unilateral scenes (pnpm demo --json --<scene>)', () => {
  function checkForceClose(doc: SceneReport): void {
    const mine = doc.steps.filter((s) => s.role === 'client 1');
    expect(mine.map((s) => s.kind)).toEqual(['kickoff', 'kickoff', 'state', 'commitment', 'claim']);
    let parent = { txid: doc.factory.fundingTxid, height: doc.factory.fundingHeight };
    for (const s of mine) {
      expect(spends(s)).toBe(parent.txid); // each step spends the one before (the first, the funding)
      const earliest = parent.height + Math.max(1, csvOf(s));
      expect(s.broadcastAt).toBe(earliest - 1); // broadcast at the first tip its lock allows
      expect(s.confirmedAt).toBe(earliest);
      if (s.kind !== 'claim') expect(s.childTxid).toMatch(/^[0-9a-f]{64}$/); // a CPFP package
      parent = { txid: s.txid, height: s.confirmedAt };
    }
    expect(csvOf(mine[2] as SceneStep)).toBe(doc.factory.dw.S * (doc.factory.dw.K - 1)); // state 0's DW lock
    expect(csvOf(mine[4] as SceneStep)).toBe(doc.factory.toSelfDelay);
    const claimed = doc.completed.find((c) => c.role === 'client 1')?.claimed as number;
    expect(claimed).toBe((mine[4] as SceneStep).amount);
    expect(claimed).toBeGreaterThan(9_000);
    expect(claimed).toBeLessThan(10_000);
    // The LSP took the exited leaf's L-stock after lStockCsv, and its to_remote output.
    const lsp = doc.steps.filter((s) => s.role === 'lsp');
    const lstock = lsp.find((s) => s.kind === 'lstock') as SceneStep;
    expect(lstock.confirmedAt).toBe((mine[2] as SceneStep).confirmedAt + doc.factory.lStockCsv);
    expect(lsp.some((s) => s.label.includes('to_remote'))).toBe(true);
    // One client exited alone: nobody else broadcast anything.
    expect(doc.steps.every((s) => s.role === 'client 1' || s.role === 'lsp')).toBe(true);
  }

  it('--force-close: one client’s path, commitment and to_local claim, each at the height its lock allows', () => {
    checkForceClose(runScene('--force-close'));
  });

  it.skipIf(!bitcoind.ok)(
    '--regtest --force-close: the same exit on Bitcoin Core (submitpackage)',
    () => {
      checkForceClose(runScene('--force-close', true));
    },
    300_000,
  );

  it('--timeout: the LSP recovers what nobody spent by its timeout leaves after T_k', () => {
    const doc = runScene('--timeout');
    const recoveries = doc.steps.filter((s) => s.kind === 'timeout');
    expect(recoveries.length).toBeGreaterThanOrEqual(1);
    for (const r of recoveries) {
      const t = tx(r);
      expect((doc.factory.T - t.locktime) % 5).toBe(0); // T_k = T − k·timeoutStep
      expect((t.inputs[0] as { sequence: number }).sequence).toBe(0xfffffffe);
      expect(r.confirmedAt).toBe(t.locktime + 1);
    }
    // The client sent its leaf kickoff before it vanished: the LSP's embedded tower publishes the newest
    // leaf state (brief §5.2), and the LSP's recovery follows it — the L-stock after lStockCsv, the
    // channel outputs by their timeout leaf. The whole factory is the LSP's, less the fees.
    const lstock = doc.steps.filter((s) => s.kind === 'lstock');
    const lsp = doc.completed.find((c) => c.role === 'lsp');
    expect(lsp?.claimed).toBe([...recoveries, ...lstock].reduce((a, r) => a + (r.amount as number), 0));
    expect(lsp?.claimed).toBeGreaterThan(doc.factory.amount - 4_000);
  });

  it('--distribution: at T_dist the clients broadcast the distribution and each is paid', () => {
    const doc = runScene('--distribution');
    expect(doc.steps).toHaveLength(1);
    const d = doc.steps[0] as SceneStep;
    const t = tx(d);
    expect(d.kind).toBe('distribution');
    expect(spends(d)).toBe(doc.factory.fundingTxid);
    expect(t.locktime).toBe(doc.factory.tDist);
    expect(d.broadcastAt).toBe(doc.factory.tDist);
    expect(d.confirmedAt).toBe(doc.factory.tDist + 1);
    expect(t.outputs).toHaveLength(5); // 4 clients and the anchor
    const clients = doc.completed.filter((c) => c.role !== 'lsp');
    expect(clients).toHaveLength(4);
    const paid = t.outputs.slice(0, 4).map((o) => Number(o.value));
    for (const c of clients) expect(paid).toContain(c.claimed);
    // The LSP, if it reported already, ended the factory with nothing to claim.
    for (const c of doc.completed.filter((x) => x.role === 'lsp')) expect(c.claimed).toBe(0);
    for (const v of paid) expect(v).toBeGreaterThan(20_000); // capacity plus its share of the rest
  });
});
