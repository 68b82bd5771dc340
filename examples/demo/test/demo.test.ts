// The demo end to end, as `pnpm demo --json` runs it: a child process (LSP and clients over real
// loopback Noise connections, SimChain in process), then its JSON document checked against the raw
// transactions it carries — not only against what the demo says about them.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeInvoice } from '@superscalar/bolt11';
import { decodeTx, toDisplayHex, txidHex } from '@superscalar/chain';
import { fromHex, toHex } from '@superscalar/core';
import { describe, expect, it } from 'vitest';
import type { DemoReport } from '../src/demo.js';
import { CROSS_FACTORY_SATS, FACTORY_PAYMENTS } from '../src/payments.js';

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
    // It pays the balances after the payments: each client the whole sats of its channel balance as
    // the payments left it (recomputed from the payments, not only as printed), the LSP the rest.
    const expected = expectedBalances(doc);
    let clientsPaid = 0n;
    for (const ch of f.channels) {
      const paid = close.outputs
        .filter((o) => toHex(o.script) === ch.closeScript)
        .reduce((a, o) => a + o.value, 0n);
      const atClose = f.balancesAtClose.find((b) => b.channelId === ch.channelId);
      expect(atClose?.clientView.clientMsat).toBe(Number(expected.get(ch.client)));
      expect(atClose?.lspView).toEqual(atClose?.clientView);
      expect(paid).toBe((expected.get(ch.client) as bigint) / 1000n);
      expect(f.close.clients.find((c) => c.client === ch.client)).toEqual({
        client: ch.client,
        balance: Number(paid),
        paid: Number(paid),
      });
      clientsPaid += paid;
    }
    const total = close.outputs.reduce((a, o) => a + o.value, 0n);
    expect(total + BigInt(f.close.fee)).toBe(100_000n);
    const lspOut = close.outputs.filter((o) => !f.channels.some((c) => c.closeScript === toHex(o.script)));
    expect(lspOut).toHaveLength(1);
    expect(lspOut[0]?.value).toBe(100_000n - BigInt(f.close.fee) - clientsPaid);
    expect(f.close.lspAmount).toBe(Number(lspOut[0]?.value));
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

  checkPayments(doc, clients);

  // No role reported trouble.
  const bad = [
    'PaymentFailed',
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

/** Every client's channel balance (msat) after the payments, computed from the payments made. */
function expectedBalances(doc: DemoReport): Map<number, bigint> {
  const out = new Map(doc.clients.map((c) => [c.client, 10_000_000n]));
  for (const p of doc.payments) {
    out.set(p.payer.client, (out.get(p.payer.client) as bigint) - BigInt(p.amountMsat + p.feeMsat));
    out.set(p.payee.client, (out.get(p.payee.client) as bigint) + BigInt(p.amountMsat));
  }
  return out;
}

/**
 * The payments: the planned ones (c0→c1 1,000, c2→c0 1,500, c3→c2 2,000, c1→c3 1,000 in every factory,
 * plus factory 1's c0 → factory 2's c0 with two factories), each with a real BOLT 11 invoice of the
 * payee's (signed by its node key, through the LSP), the preimage as proof, the LSP's fee, once each
 * in every role's events, and the balances after each as the running sum says, at both ends.
 */
function checkPayments(doc: DemoReport, clients: number): void {
  const factories = clients / 4;
  const byFactory = (n: number) => {
    const f = doc.factories[n - 1] as DemoReport['factories'][number];
    return (index: number) => f.channels.find((c) => c.clientIndex === index)?.client;
  };
  const planned = [
    ...FACTORY_PAYMENTS.flatMap((p) =>
      Array.from({ length: factories }, (_, k) => ({
        payer: { factory: k + 1, client: byFactory(k + 1)(p.from) },
        payee: { factory: k + 1, client: byFactory(k + 1)(p.to) },
        amount: Number(p.amount),
      })),
    ),
    ...(factories >= 2
      ? [
          {
            payer: { factory: 1, client: byFactory(1)(0) },
            payee: { factory: 2, client: byFactory(2)(0) },
            amount: Number(CROSS_FACTORY_SATS),
          },
        ]
      : []),
  ];
  expect(doc.payments).toHaveLength(planned.length);
  const key = (p: { payer: { client?: number }; payee: { client?: number }; amount: number }) =>
    `${p.payer.client}>${p.payee.client}:${p.amount}`;
  expect(doc.payments.map(key).sort()).toEqual(planned.map(key).sort());
  expect(new Set(doc.payments.map((p) => p.paymentHash)).size).toBe(planned.length);

  const running = new Map(doc.clients.map((c) => [c.client, 10_000_000n]));
  for (const p of doc.payments) {
    // The proof of payment: the preimage hashes to the payment hash.
    expect(createHash('sha256').update(fromHex(p.preimage)).digest('hex')).toBe(p.paymentHash);
    // A real BOLT 11 invoice: signed by the payee's node key, its amount and hash, a route hint through
    // the LSP naming the payee's channel.
    const inv = decodeInvoice(p.invoice);
    expect(inv.network).toBe('regtest');
    expect(p.invoice.startsWith('lnbcrt')).toBe(true);
    expect(toHex(inv.payeeNodeId)).toBe(p.payee.nodeId);
    expect(doc.clients.find((c) => c.client === p.payee.client)?.nodeId).toBe(p.payee.nodeId);
    expect(doc.clients.find((c) => c.client === p.payer.client)?.nodeId).toBe(p.payer.nodeId);
    expect(inv.amountMsat).toBe(BigInt(p.amount) * 1000n);
    expect(p.amountMsat).toBe(p.amount * 1000);
    expect(toHex(inv.paymentHash)).toBe(p.paymentHash);
    const hint = inv.routeHints[0]?.[0];
    expect(toHex(hint?.pubkey ?? new Uint8Array())).toBe(doc.lsp.nodeId);
    // The LSP's routing fee (1,000 msat + 100 ppm), on top, as the hint says.
    expect(p.feeMsat).toBe(1_000 + (p.amount * 1000 * 100) / 1_000_000);
    expect(p.feeMsat).toBe(
      Number(hint?.feeBaseMsat) + (p.amountMsat * Number(hint?.feeProportionalMillionths)) / 1e6,
    );
    // Once in each role's events: the payer sent it, the payee received it, the LSP forwarded it.
    const ev = doc.events.filter((e) => e.paymentHash === p.paymentHash);
    expect(ev.filter((e) => e.kind === 'PaymentSent').map((e) => e.role)).toEqual([
      `client ${p.payer.client}`,
    ]);
    expect(ev.filter((e) => e.kind === 'PaymentReceived').map((e) => e.role)).toEqual([
      `client ${p.payee.client}`,
    ]);
    expect(ev.filter((e) => e.kind === 'PaymentForwarded').map((e) => e.role)).toEqual(['lsp']);
    expect(ev.filter((e) => e.kind === 'InvoiceCreated').map((e) => e.role)).toEqual([
      `client ${p.payee.client}`,
    ]);
    // Balances after it, at both ends, as the running sum says (the payments of different factories
    // run at once, so only the factories it touched are checked against the sum of what completed).
    running.set(p.payer.client, (running.get(p.payer.client) as bigint) - BigInt(p.amountMsat + p.feeMsat));
    running.set(p.payee.client, (running.get(p.payee.client) as bigint) + BigInt(p.amountMsat));
    const touched = new Set([p.payer.factory, p.payee.factory]);
    expect(p.balances).toHaveLength(4 * touched.size);
    for (const b of p.balances) {
      expect(b.lspView).toEqual(b.clientView);
      expect(b.clientView.clientMsat + b.clientView.lspMsat).toBe(20_000_000);
      expect(b.clientView.clientMsat).toBe(Number(running.get(b.client)));
    }
    expect(p.ms).toBeGreaterThan(0);
  }
}

describe('the demo (pnpm demo --json)', () => {
  it('4 clients: one 100,000-sat factory funded, 4 channels open at 10,000 / 10,000, 4 payments, closed on the final balances', () => {
    const doc = runDemo([]);
    checkReport(doc, 4);
    // c0→c1 1,000, c2→c0 1,500, c3→c2 2,000, c1→c3 1,000 sats, each plus the LSP's fee (1 sat + 100
    // ppm): the close pays c0 10,498, c1 9,998, c2 10,498, c3 8,998 sats (whole sats of 10,498.9,
    // 9,998.9, 10,498.85, 8,998.8).
    const f = doc.factories[0] as DemoReport['factories'][number];
    const close = decodeTx(fromHex(f.close.raw));
    const byIndex = [0, 1, 2, 3].map((i) => {
      const ch = f.channels.find((c) => c.clientIndex === i);
      return close.outputs.find((o) => toHex(o.script) === ch?.closeScript)?.value;
    });
    expect(byIndex).toEqual([10_498n, 9_998n, 10_498n, 8_998n]);
    console.log(`demo (4 clients): ${doc.timings.totalMs} ms in the demo`);
  });

  it('--clients 8: two 4-client factories, four payments in each and one across them', () => {
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
