// Flaw 1 (brief §12): funding is signed and broadcast only after every channel's commitment 0 is held
// on both sides. The C LSP funds and confirms first, so one missing client strands every coin.
import type { Client } from '@superscalar/client';
import type { Lsp } from '@superscalar/lsp';
import type { Wallet } from '@superscalar/wallet';
import { afterEach, expect, test } from 'vitest';
import { clientOf, factoryOf, registerAll, World } from '../harness/index.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

test('nothing funding-related reaches the chain before every channel holds commitment 0 on both sides', async () => {
  const w = await World.create({ seed: 'funding-last', clients: 4, lspPolicy: { maxClients: 4 } });
  world = w;
  const snapshots: { label: string; lsp: number[][]; clients: number[][] }[] = [];
  const broadcast = w.broadcast.bind(w);
  w.broadcast = (node, raw, txid, label) => {
    const f = (w.lsp.machine as unknown as Lsp).factories()[0];
    snapshots.push({
      label,
      lsp: (f?.channels ?? []).map((c) => [c.localCommitmentNumber, c.remoteCommitmentNumber]),
      clients: w.clients.map((c) => {
        const info = (c.machine as unknown as Client).factories()[0];
        return [info?.channel.localCommitmentNumber ?? -1, info?.channel.remoteCommitmentNumber ?? -1];
      }),
    });
    broadcast(node, raw, txid, label);
  };
  await registerAll(w);
  const f = factoryOf(w);
  expect(f.phase).toBe('funded');
  expect(snapshots.map((s) => s.label)).toEqual(['funding']);
  const at = snapshots[0] as (typeof snapshots)[number];
  expect(at.lsp).toEqual([
    [0, 0],
    [0, 0],
    [0, 0],
    [0, 0],
  ]);
  expect(at.clients).toEqual(at.lsp);
  // The LSP's journal: every ChannelReady before FactoryFunded.
  const kinds = (await w.lsp.events()).map((e) => e.kind);
  expect(kinds.lastIndexOf('ChannelReady')).toBeLessThan(kinds.indexOf('FactoryFunded'));
});

test('a client withholding its commitment-0 signature keeps the funding unsigned and unbroadcast, then is dropped', async () => {
  const w = await World.create({
    seed: 'withhold',
    clients: 4,
    lspPolicy: { maxClients: 4, stepTimeoutMs: 30_000 },
  });
  world = w;
  const withholder = w.clients[2] as (typeof w.clients)[number];
  w.net.interceptors.push((from, _to, m) =>
    from === withholder.nodeId && m.type === 'commitment_signed' ? null : undefined,
  );
  await registerAll(w); // four registrations: the LSP forms at once (maxClients)
  const f = factoryOf(w);
  expect(f.step).toBe('channels');
  const wallet = w.lsp.wallet as Wallet;
  for (let i = 0; i < 3; i++) await w.mine(1);
  expect(factoryOf(w).phase).toBe('ceremony');
  expect(w.broadcasts.filter((b) => b.label === 'funding')).toEqual([]);
  expect(w.chain.mempool()).not.toContain(f.fundingTxid);
  expect(wallet.tx(f.fundingTxid)?.state).toBe('built'); // never signed
  // Every other channel is ready on both sides; the withholder's client side holds commitment 0 too.
  const lspChannels = factoryOf(w).channels;
  expect(lspChannels.filter((c) => c.phase === 'normal').map((c) => c.peer)).not.toContain(withholder.nodeId);
  expect(lspChannels.filter((c) => c.phase === 'normal')).toHaveLength(3);
  // Past the step timeout the withholder is dropped; nothing was ever signed that spends the inputs.
  await w.tick(31_000);
  const aborted = (await w.lsp.events()).find((e) => e.kind === 'CeremonyAborted');
  expect(aborted).toMatchObject({ reason: 'timeout', dropped: [withholder.nodeId] });
  expect(wallet.tx(f.fundingTxid)?.state).toBe('abandoned');
  expect(wallet.balance().reserved).toBe(0n);
  expect(w.broadcasts.filter((b) => b.txid === f.fundingTxid)).toEqual([]);
  const self = (await withholder.events()).find((e) => e.kind === 'CeremonyAborted');
  expect(self).toMatchObject({ byLsp: true, self: true });
  expect(clientOf(withholder).factory(f.factoryId)).toBeUndefined();
  // The others registered again with fresh keys and formed without it.
  const next = factoryOf(w);
  expect(next.factoryId).not.toBe(f.factoryId);
  expect(next.participants).not.toContain(withholder.nodeId);
  expect(next.participants).toHaveLength(3);
});

test('a client that never receives its commitment 0 holds back its own signature, so the funding stays unbroadcast', async () => {
  const w = await World.create({
    seed: 'lost-commitment',
    clients: 3,
    lspPolicy: { maxClients: 3, stepTimeoutMs: 30_000 },
  });
  world = w;
  const victim = w.clients[0] as (typeof w.clients)[number];
  // The LSP's signature of the victim's commitment 0 is lost on the way (and on every retry).
  w.net.interceptors.push((_from, to, m) =>
    to === victim.nodeId && m.type === 'commitment_signed' ? null : undefined,
  );
  await registerAll(w);
  const f = factoryOf(w);
  for (let i = 0; i < 3; i++) await w.mine(1);
  expect(factoryOf(w).phase).toBe('ceremony');
  expect(clientOf(victim).factory(f.factoryId)?.channel.localCommitmentNumber).toBe(-1);
  expect(w.messages('commitment_signed', victim)).toEqual([]); // held back: it lacks its own commitment 0
  expect(w.broadcasts.filter((b) => b.txid === f.fundingTxid)).toEqual([]);
  expect((w.lsp.wallet as Wallet).tx(f.fundingTxid)?.state).toBe('built');
});
