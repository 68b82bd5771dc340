// The ceremony end to end (roles memo §3 steps 1–8): registration, forming, rounds 1–2 with
// DeterministicSign, channel setup and commitment 0 both ways, funding last, FactoryOpen.
import { schnorrVerify } from '@superscalar/musig2';
import { afterEach, describe, expect, test } from 'vitest';
import { clientOf, lspFactories, openFactory, type RoleNode, registerAll, World } from '../harness/index.js';

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
