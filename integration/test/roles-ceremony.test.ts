// The ceremony end to end (roles memo §3 steps 1–8): registration, forming, rounds 1–2 with
// DeterministicSign, channel setup and commitment 0 both ways, funding last, FactoryOpen.
import { toHex } from '@superscalar/core';
import { buildTree } from '@superscalar/factory-tree';
import type { LspEvent, LspFactoryInfo } from '@superscalar/lsp';
import { schnorrVerify } from '@superscalar/musig2';
import { afterEach, describe, expect, test } from 'vitest';
import {
  clientOf,
  factoryOf,
  lspFactories,
  openFactory,
  type RoleNode,
  registerAll,
  World,
} from '../harness/index.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('ceremony', () => {
  for (const n of [1, 4, 16]) {
    test(`N = ${n}: the factory opens on SimChain with every channel's commitment 0 on both sides`, async () => {
      const w = await World.create({ seed: `ceremony-${n}`, clients: n, lspPolicy: { maxClients: n } });
      world = w;
      const f = await openFactory(w);
      expect(f.phase).toBe('open');
      const conf = await w.chain.getTransaction(f.fundingTxid);
      expect(conf.confirmation?.confirmations ?? 0).toBeGreaterThanOrEqual(f.proposal.minimumDepth);
      expect(f.channels).toHaveLength(n);
      for (const ch of f.channels) {
        expect(ch.phase).toBe('normal');
        expect([ch.localCommitmentNumber, ch.remoteCommitmentNumber]).toEqual([0, 0]);
      }
      for (const c of w.clients) {
        const info = clientOf(c).factory(f.factoryId);
        expect(info?.phase).toBe('open');
        expect(info?.channel.phase).toBe('normal');
        expect([info?.channel.localCommitmentNumber, info?.channel.remoteCommitmentNumber]).toEqual([0, 0]);
        const signed = clientOf(c).signedPath(f.factoryId) ?? [];
        expect(signed.length).toBe((info?.pathTxs ?? 0) + (info?.distributionTxs ?? 0));
        for (const s of signed) expect(schnorrVerify(s.signature, s.sighash, s.outputKey)).toBe(true);
        const kinds = (await c.events()).map((e) => e.kind);
        expect(kinds).toEqual(
          expect.arrayContaining([
            'RegistrationGranted',
            'FactoryProposed',
            'FactorySigned',
            'ChannelReady',
            'FactoryFunded',
            'FactoryOpen',
          ]),
        );
      }
      const lspKinds = (await w.lsp.events()).map((e) => e.kind);
      expect(lspKinds.filter((k) => k === 'ChannelReady')).toHaveLength(n);
      expect(lspKinds).toEqual(
        expect.arrayContaining(['FactoryProposed', 'FactorySigned', 'FactoryFunded', 'FactoryOpen']),
      );
      expect(lspKinds).not.toContain('InvariantViolated');
    });
  }
});

test('forming by policy: minClients after formAfterMs from the first waiting registration, maxClients at once', async () => {
  const w = await World.create({
    seed: 'forming',
    clients: 9,
    lspPolicy: { minClients: 2, maxClients: 4, formAfterMs: 10_000 },
  });
  world = w;
  const [a, b, c, d, e, ...rest] = w.clients as RoleNode[];
  await registerAll(w, undefined, [a as RoleNode]);
  await w.tick(20_000);
  expect(lspFactories(w)).toHaveLength(0); // one client: below minClients
  await registerAll(w, undefined, [b as RoleNode]); // two, and a has waited 20 s: formed at once
  expect(lspFactories(w).map((f) => f.participants)).toEqual([[a?.nodeId, b?.nodeId]]);
  await registerAll(w, undefined, [c, d, e] as RoleNode[]);
  await w.tick(9_000);
  expect(lspFactories(w)).toHaveLength(1); // three waiting, not for 10 s yet
  await w.tick(1_000);
  expect(lspFactories(w)).toHaveLength(2);
  expect(lspFactories(w)[1]?.participants).toHaveLength(3);
  await registerAll(w, undefined, rest); // four at once: maxClients, no waiting
  expect(lspFactories(w)).toHaveLength(3);
  expect(lspFactories(w)[2]?.participants).toHaveLength(4);
});

/** The public nonce `pn` negated: both halves' points (flip the parity byte of each compressed point). */
function negatedNonce(pn: Uint8Array): Uint8Array {
  const out = Uint8Array.from(pn);
  out[0] = (out[0] as number) ^ 1;
  out[33] = (out[33] as number) ^ 1;
  return out;
}

test('nonces that cancel on a leaf (one party under two keys): the ceremony aborts at once, typed, and forms again without both', async () => {
  const w = await World.create({ seed: 'ceremony-cancel', clients: 4, lspPolicy: { maxClients: 4 } });
  world = w;
  // The two clients of leaf 0 are one party: the second of them to send its nonces negates the
  // first's for the leaf's state transaction, so the clients' nonces of that job sum to infinity.
  let pair: string[] = [];
  let target = -1;
  const seen = new Map<string, Uint8Array>();
  w.net.interceptors.push((from, _to, m) => {
    if (m.type !== 'factory_nonces') return undefined;
    if (pair.length === 0) {
      const f = lspFactories(w)[0] as LspFactoryInfo;
      const tree = buildTree(f.proposal);
      pair = (tree.layout.leafClients[0] as readonly number[]).map((c) => f.participants[c] as string);
      const path = tree.layout.leafPaths[0] as readonly number[];
      target = path[path.length - 1] as number;
    }
    if (!pair.includes(from) || m.attempt !== 0) return undefined;
    const mine = m.nonces.find((n) => n.tx === target);
    if (mine === undefined) return undefined;
    const other = [...seen.values()][0];
    if (other === undefined) {
      seen.set(from, mine.pubnonce);
      return undefined;
    }
    return {
      ...m,
      nonces: m.nonces.map((n) => (n.tx === target ? { ...n, pubnonce: negatedNonce(other) } : n)),
    };
  });
  await registerAll(w);
  const events = await w.lsp.events();
  expect(events.map((e) => e.kind)).not.toContain('InvariantViolated');
  const aborted = events.filter((e) => e.kind === 'CeremonyAborted') as Extract<
    LspEvent,
    { kind: 'CeremonyAborted' }
  >[];
  expect(aborted).toHaveLength(1);
  const a = aborted[0] as (typeof aborted)[number];
  expect(a).toMatchObject({ reason: 'signing_failed', code: 'LSP_CANCELLING_NONCES' });
  expect([...a.dropped].sort()).toEqual([...pair].sort());
  expect(a.text).toContain(`tx ${target} (leaf 0)`);
  // At once: no fresh attempt, and nothing was signed (no aggregate nonce of it left the LSP).
  const of = (type: string) =>
    w.messages(type).filter((d) => toHex((d.message as { factoryId: Uint8Array }).factoryId) === a.factoryId);
  expect(of('factory_nonces').length).toBe(4);
  expect(of('factory_nonces').every((d) => (d.message as { attempt: number }).attempt === 0)).toBe(true);
  expect(of('factory_agg_nonces')).toHaveLength(0);
  // The clients learn it (each named or not), and the others form a factory of their own.
  for (const c of w.clients) {
    const ended = (await c.events()).find((e) => e.kind === 'CeremonyAborted');
    expect(ended).toMatchObject({ byLsp: true, reason: 'signing_failed' });
  }
  for (let i = 0; i < 4 && lspFactories(w)[0]?.phase !== 'open'; i++) await w.mine(1);
  const again = factoryOf(w);
  expect(again.phase).toBe('open');
  expect([...again.participants].sort()).toEqual(
    w.clients
      .map((c) => c.nodeId)
      .filter((id) => !pair.includes(id))
      .sort(),
  );
});
