// The ceremony end to end (roles memo §3 steps 1–8): registration, forming, rounds 1–2 with
// DeterministicSign, channel setup and commitment 0 both ways, funding last, FactoryOpen.
import { schnorrVerify } from '@superscalar/musig2';
import { afterEach, describe, expect, test } from 'vitest';
import { clientOf, openFactory, World } from '../harness/index.js';

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
