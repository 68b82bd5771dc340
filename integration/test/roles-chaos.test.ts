// Seeded faults over a whole ceremony (roles memo §4): connections break at random deliveries and
// links lag, every machine keeps going (reconnecting, fresh attempts, drops and re-forming as the
// timers say) until a factory opens; nothing is violated on the way and no nonce is used twice.
import { toHex } from '@superscalar/core';
import type { Lsp } from '@superscalar/lsp';
import { afterEach, expect, test } from 'vitest';
import {
  chance,
  clientOf,
  lspFactories,
  type RoleNode,
  registerAll,
  seededRng,
  World,
} from '../harness/index.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? (process.env.CI === 'true' ? 3 : 8));
console.log(`roles-chaos: PROPERTY_RUNS = ${RUNS} seeds`);

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

for (let run = 0; run < RUNS; run++)
  test(`seed ${run}: random disconnections (3% of deliveries) and delays (30%) — a factory still opens`, async () => {
    const w = await World.create({
      seed: `chaos-${run}`,
      clients: 4,
      lspPolicy: { minClients: 2, maxClients: 4, formAfterMs: 5_000 },
      disconnectRate: 0.03,
      delayRate: 0.3,
    });
    world = w;
    await registerAll(w);
    let open = undefined as ReturnType<Lsp['factories']>[number] | undefined;
    for (let i = 0; i < 40 && open === undefined; i++) {
      await w.tick(11_000);
      await w.mine(1);
      open = lspFactories(w).find((f) => f.phase === 'open');
    }
    expect(open).toBeDefined();
    const f = open as NonNullable<typeof open>;
    for (const ch of f.channels)
      expect([ch.phase, ch.localCommitmentNumber, ch.remoteCommitmentNumber]).toEqual(['normal', 0, 0]);
    for (const c of w.clients.filter((x) => f.participants.includes(x.nodeId)))
      expect(clientOf(c).factory(f.factoryId)?.channel.phase).toBe('normal');
    for (const n of w.all()) expect((await n.events()).map((e) => e.kind)).not.toContain('InvariantViolated');
    const nonces = w.net.delivered.flatMap((d) =>
      d.message.type === 'factory_nonces' ? d.message.nonces.map((x) => toHex(x.pubnonce)) : [],
    );
    expect(new Set(nonces).size).toBe(nonces.length);
  }, 120_000);

for (let run = 0; run < RUNS; run++)
  test(`seed ${run}: random kills of any role (up to 4) on top of disconnections and delays — a factory still opens`, async () => {
    const w = await World.create({
      seed: `crash-chaos-${run}`,
      clients: 3,
      lspPolicy: { minClients: 2, maxClients: 3, formAfterMs: 5_000 },
      disconnectRate: 0.02,
      delayRate: 0.2,
    });
    world = w;
    const rng = seededRng(`crash-chaos-${run}/kills`);
    let kills = 0;
    const arm = (n: RoleNode) => {
      n.crashPoint = () => kills < 4 && chance(rng, 0.03) && ++kills > 0;
    };
    for (const n of w.all()) arm(n);
    await registerAll(w);
    let open = undefined as ReturnType<Lsp['factories']>[number] | undefined;
    for (let i = 0; i < 40 && open === undefined; i++) {
      for (const n of w.all())
        if (n.down) {
          await w.restart(n);
          arm(n);
        }
      await w.tick(11_000);
      await w.mine(1);
      open = lspFactories(w).find((f) => f.phase === 'open');
    }
    expect(open).toBeDefined();
    for (const n of w.all())
      if (!n.down) expect((await n.events()).map((e) => e.kind)).not.toContain('InvariantViolated');
    const nonces = w.net.delivered.flatMap((d) =>
      d.message.type === 'factory_nonces' ? d.message.nonces.map((x) => toHex(x.pubnonce)) : [],
    );
    expect(new Set(nonces).size).toBe(nonces.length);
  }, 120_000);
