// The demo end to end, as `pnpm demo --json` runs it: a child process (LSP and clients over real
// loopback Noise connections, SimChain in process), then its JSON document checked against the raw
// transactions it carries — not only against what the demo says about them.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeTx, toDisplayHex, txidHex } from '@superscalar/chain';
import { fromHex, toHex } from '@superscalar/core';
import { describe, expect, it } from 'vitest';
import type { DemoReport } from '../src/demo.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..');

function runDemo(args: readonly string[]): DemoReport {
  const out = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--conditions=source', 'index.ts', '--json', ...args],
    {
      cwd: dir,
      encoding: 'utf8',
      timeout: 180_000,
    },
  );
  expect(out.status, `exit ${out.status}\nstderr: ${out.stderr}\nstdout: ${out.stdout.slice(0, 4000)}`).toBe(
    0,
  );
  const doc = JSON.parse(out.stdout) as DemoReport; // one JSON document, nothing else on stdout
  expect(doc.ok).toBe(true);
  return doc;
}

function checkReport(doc: DemoReport, clients: number): void {
  const factories = clients / 4;
  expect(doc.chain.kind).toBe('simchain');
  expect(doc.parameters).toMatchObject({
    clients,
    factories,
    clientsPerFactory: 4,
    factoryAmount: 100_000,
    channelCapacity: 20_000,
    clientBalance: 10_000,
    activeBlocks: 288,
    dyingBlocks: 24,
    htlcBudget: 12,
  });
  // The plan: the tree plus one L-stock per leaf is the factory, exactly.
  const p = doc.parameters;
  expect(p.tree + p.leaves * p.lStockPerLeaf).toBe(100_000);
  expect(p.treeFeeRate).toBeGreaterThanOrEqual(1_000);

  // Every role is distinct; the LSP's connect string names its node id on loopback.
  const ids = [doc.lsp.nodeId, ...doc.clients.map((c) => c.nodeId)];
  expect(new Set(ids).size).toBe(clients + 1);
  expect(doc.lsp.connectString).toMatch(new RegExp(`^${doc.lsp.nodeId}@127\\.0\\.0\\.1:\\d+$`));

  expect(doc.factories).toHaveLength(factories);
  const seen = new Set<number>();
  for (const f of doc.factories) {
    // The funding transaction as the chain holds it: its txid, the factory's output, confirmed.
    const tx = decodeTx(fromHex(f.funding.raw));
    expect(txidHex(tx)).toBe(f.funding.txid);
    const out = tx.outputs[f.funding.vout];
    expect(out?.value).toBe(100_000n);
    expect(toHex(out?.script ?? new Uint8Array()).slice(0, 4)).toBe('5120'); // P2TR: KeyAgg(all 5)
    expect(f.amount).toBe(100_000);
    expect(f.funding.confirmations).toBeGreaterThanOrEqual(1);
    expect(f.funding.height).toBeGreaterThan(f.proposalHeight);

    // Four channels of 20,000; client 10,000 and LSP 10,000 in both ends' current commitments.
    expect(f.channels).toHaveLength(4);
    expect(new Set(f.channels.map((c) => c.channelId)).size).toBe(4);
    for (const ch of f.channels) {
      seen.add(ch.client);
      expect(ch.capacity).toBe(20_000);
      expect(ch.lspView).toEqual({ lspBalance: 10_000, clientBalance: 10_000 });
      expect(ch.clientView).toEqual({ lspBalance: 10_000, clientBalance: 10_000 });
      expect(ch.closeAddress).toMatch(/^bcrt1p/);
      expect(ch.closeScript).toMatch(/^5120[0-9a-f]{64}$/);
    }

    // Funding was broadcast only after every channel of the factory was ready (brief §8, flaw 1).
    const ofF = doc.events.filter((e) => e.role === 'lsp' && e.factoryId === f.factoryId);
    const funded = ofF.findIndex((e) => e.kind === 'FactoryFunded');
    const ready = ofF.flatMap((e, i) => (e.kind === 'ChannelReady' ? [i] : []));
    expect(ready).toHaveLength(4);
    expect(funded).toBeGreaterThan(Math.max(...ready));
    expect(ofF.map((e) => e.kind)).toContain('FactoryOpen');
    // The cooperative close as the chain holds it: it spends the funding output, is confirmed, and pays
    // each client at least its balance at the client's own close address (read from the raw bytes).
    const close = decodeTx(fromHex(f.close.raw));
    expect(txidHex(close)).toBe(f.close.txid);
    expect(close.inputs).toHaveLength(1);
    expect(toDisplayHex(close.inputs[0]?.prevTxid ?? new Uint8Array(32))).toBe(f.funding.txid);
    expect(close.inputs[0]?.vout).toBe(f.funding.vout);
    expect(f.close.confirmations).toBeGreaterThanOrEqual(1);
    expect(f.close.height).toBeGreaterThan(f.funding.height);
    for (const ch of f.channels) {
      const paid = close.outputs
        .filter((o) => toHex(o.script) === ch.closeScript)
        .reduce((a, o) => a + o.value, 0n);
      expect(paid).toBeGreaterThanOrEqual(BigInt(ch.clientView.clientBalance));
      expect(paid).toBe(10_000n);
    }
    const total = close.outputs.reduce((a, o) => a + o.value, 0n);
    expect(total + BigInt(f.close.fee)).toBe(100_000n);
    expect(f.close.clients.map((c) => c.paid >= c.balance)).toEqual([true, true, true, true]);
    const closedBy = doc.events.filter((e) => e.kind === 'FactoryClosed' && e.factoryId === f.factoryId);
    expect(closedBy.map((e) => e.role).sort()).toEqual(
      ['lsp', ...f.channels.map((c) => `client ${c.client}`)].sort(),
    );

    // Each of its clients saw it open too.
    const clientOpen = doc.events.filter(
      (e) => e.role !== 'lsp' && e.kind === 'FactoryOpen' && e.factoryId === f.factoryId,
    );
    expect(clientOpen).toHaveLength(4);
  }
  // Every client is in exactly one factory.
  expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: clients }, (_, i) => i + 1));

  // No role reported trouble.
  const bad = [
    'CeremonyAborted',
    'FactoryAbandoned',
    'ChannelFailed',
    'InvariantViolated',
    'CommandRefused',
    'CloseRefused',
    'CloseStalled',
  ];
  expect(doc.events.filter((e) => bad.includes(e.kind))).toEqual([]);
  // The time taken is reported (printed, never asserted against a target).
  expect(doc.timings.totalMs).toBeGreaterThan(0);
  expect(doc.kept).toBe(false);
}

describe('the demo (pnpm demo --json)', () => {
  it('4 clients: one 100,000-sat factory funded, 4 channels open at 10,000 / 10,000, closed paying each client 10,000', () => {
    const doc = runDemo([]);
    checkReport(doc, 4);
    console.log(`demo (4 clients): ${doc.timings.totalMs} ms in the demo`);
  });

  it('--clients 8: two 4-client factories', () => {
    const doc = runDemo(['--clients', '8']);
    checkReport(doc, 8);
    expect(new Set(doc.factories.map((f) => f.funding.txid)).size).toBe(2);
    console.log(`demo (8 clients): ${doc.timings.totalMs} ms in the demo`);
  });

  it('refuses a client count that is not a multiple of 4 (exit code 2, usage on stderr)', () => {
    const out = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--conditions=source', 'index.ts', '--clients', '6'],
      {
        cwd: dir,
        encoding: 'utf8',
      },
    );
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('--clients takes a positive multiple of 4');
  });
});
