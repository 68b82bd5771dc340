// Reconnection in each phase of the ceremony (roles memo §3 step 10): the link to one client drops
// right after a given message reaches its peer (the reply is lost); both sides reconnect and the
// factory still opens, without an abort, every channel's commitment 0 on both sides.
import type { Lsp } from '@superscalar/lsp';
import { afterEach, describe, expect, test } from 'vitest';
import { clientOf, factoryOf, lspFactories, type RoleNode, registerAll, World } from '../harness/index.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** The cut points: after this message type reaches its receiver, the link drops. */
const CUTS = [
  'factory_propose',
  'factory_nonces',
  'factory_agg_nonces',
  'factory_psigs',
  'factory_signed',
  'channel_setup',
  'channel_ready',
  'commitment_signed',
  'factory_funded',
] as const;
/** Messages both sides send once each: a second cut is the other direction's. */
const TWO_WAY: readonly string[] = ['channel_setup', 'channel_ready', 'commitment_signed'];

async function openWithCut(
  seed: string,
  cut: string,
  nth = 1,
): Promise<{ w: World; victim: RoleNode; cuts: number }> {
  const w = await World.create({ seed, clients: 3, lspPolicy: { maxClients: 3 } });
  world = w;
  const victim = w.clients[1] as RoleNode;
  let seen = 0;
  let cuts = 0;
  w.net.observers.push((d) => {
    if (d.message.type !== cut || (d.from !== victim.nodeId && d.to !== victim.nodeId)) return;
    seen++;
    if (seen === nth) {
      cuts++;
      w.disconnect(d.from, d.to);
    }
  });
  await registerAll(w);
  for (let i = 0; i < 4 && lspFactories(w)[0]?.phase !== 'open'; i++) await w.mine(1);
  return { w, victim, cuts };
}

describe('reconnect', () => {
  for (const cut of CUTS)
    for (const nth of TWO_WAY.includes(cut) ? [1, 2] : [1])
      test(`after the ${nth === 1 ? 'first' : 'second'} ${cut} of a client's link, the factory still opens`, async () => {
        const { w, cuts } = await openWithCut(`reconnect-${cut}-${nth}`, cut, nth);
        expect(cuts).toBe(1);
        const f = factoryOf(w);
        expect(f.phase).toBe('open');
        expect(f.participants).toHaveLength(3);
        for (const ch of f.channels)
          expect([ch.phase, ch.localCommitmentNumber, ch.remoteCommitmentNumber]).toEqual(['normal', 0, 0]);
        for (const c of w.clients) {
          const info = clientOf(c).factory(f.factoryId);
          expect([info?.phase, info?.channel.phase]).toEqual(['open', 'normal']);
        }
        const kinds = (await w.lsp.events()).map((e) => e.kind);
        expect(kinds).not.toContain('CeremonyAborted');
        expect(kinds).not.toContain('InvariantViolated');
        for (const c of w.clients)
          expect((await c.events()).map((e) => e.kind)).not.toContain('InvariantViolated');
        // A cut during the rounds costs a fresh attempt at most; later cuts cost none.
        expect(f.attempt).toBeLessThanOrEqual(cuts);
        expect((w.lsp.machine as unknown as Lsp).factory(f.factoryId)?.signingFailures).toBe(0);
      });
});
