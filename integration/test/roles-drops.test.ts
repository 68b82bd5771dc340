// Stalling and misbehaving clients (roles memo §3 steps 6 and 9): a client that does not answer a
// step within stepTimeoutMs is dropped and the others form again without it; a bad partial signature
// is blamed and retried with fresh nonces, and after maxSigningAttempts the ceremony forms again
// without the blamed client.
import type { Message } from '@superscalar/wire';
import { afterEach, expect, test } from 'vitest';
import { factoryOf, lspFactories, type RoleNode, registerAll, World } from '../harness/index.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function mineUntilOpen(w: World): Promise<void> {
  for (let i = 0; i < 3 && factoryOf(w).phase !== 'open'; i++) await w.mine(1);
}

test('a client that never sends its nonces is dropped after stepTimeoutMs; the others form again and open', async () => {
  const w = await World.create({
    seed: 'stall',
    clients: 4,
    lspPolicy: { maxClients: 4, stepTimeoutMs: 30_000 },
  });
  world = w;
  const staller = w.clients[1] as RoleNode;
  w.net.interceptors.push((from, _to, m) =>
    from === staller.nodeId && m.type === 'factory_nonces' ? null : undefined,
  );
  await registerAll(w);
  const first = factoryOf(w);
  expect([first.phase, first.step]).toEqual(['ceremony', 'nonces']);
  await w.tick(29_000);
  expect(factoryOf(w).factoryId).toBe(first.factoryId); // not before the timeout
  await w.tick(2_000);
  const aborted = (await w.lsp.events()).filter((e) => e.kind === 'CeremonyAborted');
  expect(aborted).toHaveLength(1);
  expect(aborted[0]).toMatchObject({
    factoryId: first.factoryId,
    reason: 'timeout',
    dropped: [staller.nodeId],
  });
  const second = factoryOf(w);
  expect(second.participants).toHaveLength(3);
  expect(second.participants).not.toContain(staller.nodeId);
  await mineUntilOpen(w);
  expect(factoryOf(w).phase).toBe('open');
  // Every other client registered again with a fresh key (a new factory index).
  for (const c of w.clients.filter((x) => x !== staller)) {
    const keys = (await c.events())
      .filter((e) => e.kind === 'RegistrationGranted')
      .map((e) => (e as { factoryKey: string }).factoryKey);
    expect(new Set(keys).size).toBe(2);
  }
});

/** Replaces the first partial signature of `client`'s next `count` factory_psigs by another valid scalar. */
function corruptPsigs(w: World, client: RoleNode, count: number): () => number {
  let done = 0;
  w.net.interceptors.push((from, _to, m: Message) => {
    if (from !== client.nodeId || m.type !== 'factory_psigs' || done >= count) return undefined;
    done++;
    const first = m.psigs[0] as (typeof m.psigs)[number];
    const psig = Uint8Array.from(first.psig);
    psig[31] = ((psig[31] as number) ^ 1) & 0xff;
    return { ...m, psigs: [{ ...first, psig }, ...m.psigs.slice(1)] };
  });
  return () => done;
}

test('a bad partial signature is blamed on its client and retried with fresh nonces; the factory opens', async () => {
  const w = await World.create({ seed: 'bad-psig-once', clients: 4, lspPolicy: { maxClients: 4 } });
  world = w;
  const liar = w.clients[3] as RoleNode;
  const corrupted = corruptPsigs(w, liar, 1);
  await registerAll(w);
  expect(corrupted()).toBe(1);
  const f = factoryOf(w);
  expect([f.signingFailures, f.attempt]).toEqual([1, 1]);
  expect(f.lastBlamed).toBe(f.participants.indexOf(liar.nodeId) + 1);
  await mineUntilOpen(w);
  expect(factoryOf(w).phase).toBe('open');
  expect(factoryOf(w).participants).toContain(liar.nodeId);
  expect((await w.lsp.events()).map((e) => e.kind)).not.toContain('CeremonyAborted');
  // Fresh nonces for the retry: no public nonce of attempt 0 is used again in attempt 1.
  const nonces = w
    .messages('factory_nonces')
    .flatMap((d) =>
      d.message.type === 'factory_nonces'
        ? d.message.nonces.map((n) => Buffer.from(n.pubnonce).toString('hex'))
        : [],
    );
  expect(new Set(nonces).size).toBe(nonces.length);
});

test('a client whose partial signature fails every attempt is aborted after 3 and the others open without it', async () => {
  const w = await World.create({ seed: 'bad-psig-always', clients: 4, lspPolicy: { maxClients: 4 } });
  world = w;
  const liar = w.clients[0] as RoleNode;
  corruptPsigs(w, liar, 1_000);
  await registerAll(w);
  const aborted = (await w.lsp.events()).filter((e) => e.kind === 'CeremonyAborted');
  expect(aborted).toHaveLength(1);
  const first = aborted[0] as Extract<(typeof aborted)[number], { kind: 'CeremonyAborted' }>;
  expect(first).toMatchObject({ reason: 'signing_failed', dropped: [liar.nodeId] });
  expect(w.messages('factory_abort').filter((d) => d.to === liar.nodeId)).toHaveLength(1);
  const f = factoryOf(w);
  expect(f.factoryId).not.toBe(first.factoryId);
  expect(f.participants).not.toContain(liar.nodeId);
  expect(f.participants).toHaveLength(3);
  await mineUntilOpen(w);
  expect(factoryOf(w).phase).toBe('open');
  expect(lspFactories(w)).toHaveLength(1);
});
