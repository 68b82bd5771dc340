// The LSP encodes a factory's `factory_propose` once (wire's `preEncodeMessage`) and sends the same
// bytes to every client: when it forms the factory, and again to every client after a restart. The
// harness carries the message values; the runtime sends `encoded` as it is.
import { encodeMessage } from '@superscalar/wire';
import { afterEach, expect, test } from 'vitest';
import { factoryOf, registerAll, World } from '../harness/index.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

test('factory_propose is encoded once per factory: one EncodedMessage for every client, at forming and after a restart', async () => {
  const w = await World.create({ seed: 'propose-encoding', clients: 4, lspPolicy: { maxClients: 4 } });
  world = w;
  const proposeSends = (from: number) =>
    w.lsp.trace
      .slice(from)
      .flatMap((t) => t.actions)
      .flatMap((a) => (a.kind === 'send' && a.message.type === 'factory_propose' ? [a] : []));
  // Round 1 does not reach the LSP before its restart, after which every client gets the proposal again.
  const hold = (_from: string, _to: string, m: { type: string }) =>
    m.type === 'factory_nonces' ? null : undefined;
  w.net.interceptors.push(hold);
  await registerAll(w);
  await w.command(w.lsp, { type: 'form_factory' });
  const first = proposeSends(0);
  expect(first.map((a) => a.peer).sort()).toEqual(w.clients.map((c) => c.nodeId).sort());
  const encoded = first[0]?.encoded;
  expect(encoded).toBeDefined();
  for (const a of first) {
    expect(a.encoded).toBe(encoded);
    expect(a.message).toBe(encoded?.message);
  }
  expect(encoded?.bytes()).toEqual(encodeMessage(first[0]?.message as never, { maxSize: 1 << 22 }));

  const mark = w.lsp.trace.length;
  w.net.interceptors.splice(w.net.interceptors.indexOf(hold), 1);
  await w.restart(w.lsp);
  const again = proposeSends(mark);
  expect(again.map((a) => a.peer).sort()).toEqual(w.clients.map((c) => c.nodeId).sort());
  expect(new Set(again.map((a) => a.encoded)).size).toBe(1); // one encoding, several handle calls
  expect(again[0]?.encoded).not.toBe(encoded); // memory only: made again by the restored machine
  expect(again[0]?.encoded?.bytes()).toEqual(encoded?.bytes());

  // The ceremony goes on from there (the clients' fresh nonces now reach the LSP).
  const id = factoryOf(w).factoryId;
  for (let i = 0; i < 10 && factoryOf(w).phase !== 'open'; i++) await w.mine(1);
  expect(factoryOf(w)).toMatchObject({ factoryId: id, phase: 'open' });
});
