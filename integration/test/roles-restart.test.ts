import type { Lsp } from '@superscalar/lsp';
import { afterEach, describe, expect, test } from 'vitest';
import { clientOf, factoryOf, lspFactories, type RoleNode, registerAll, World } from '../harness/index.js';
import { nonceCounter, publicNoncesOf } from '../harness/nonces.js';

const KILLS = Number(process.env.CRASH_KILLS ?? (process.env.CI === 'true' ? 8 : 40));

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** Every public nonce that crossed the network (ceremony and channels). */
function publicNonces(w: World): string[] {
  return w.net.delivered.flatMap((d) => publicNoncesOf(d.message));
}

async function mineUntilOpen(w: World): Promise<void> {
  for (let i = 0; i < 5 && lspFactories(w)[0]?.phase !== 'open'; i++) await w.mine(1);
}

async function checkOpen(w: World): Promise<void> {
  if (process.env.ROLES_EVENTS)
    console.log(JSON.stringify(await w.lsp.events(), (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
  const f = factoryOf(w);
  expect(f.phase).toBe('open');
  expect(f.participants).toHaveLength(2);
  for (const ch of f.channels)
    expect([ch.phase, ch.localCommitmentNumber, ch.remoteCommitmentNumber]).toEqual(['normal', 0, 0]);
  for (const c of w.clients) expect(clientOf(c).factory(f.factoryId)?.channel.phase).toBe('normal');
  const lspKinds = (await w.lsp.events()).map((e) => e.kind);
  for (const once of ['FactoryProposed', 'FactorySigned', 'FactoryFunded', 'FactoryOpen'])
    expect(
      lspKinds.filter((k) => k === once),
      once,
    ).toHaveLength(1);
  expect(lspKinds).not.toContain('InvariantViolated');
  expect(lspKinds).not.toContain('CeremonyAborted');
  for (const c of w.clients) {
    const events = await c.events();
    const kinds = events.map((e) => e.kind);
    for (const once of ['FactoryProposed', 'FactorySigned', 'FactoryOpen'])
      expect(
        kinds.filter((k) => k === once),
        once,
      ).toHaveLength(1);
    expect(kinds).not.toContain('InvariantViolated');
    const keys = events
      .filter((e) => e.kind === 'RegistrationGranted')
      .map((e) => (e as { factoryKey: string }).factoryKey);
    expect(new Set(keys).size).toBe(keys.length);
  }
}

async function channelsResume(w: World): Promise<void> {
  const before = w.messages('channel_reestablish').length;
  await w.restart(w.lsp);
  for (const c of w.clients) await w.restart(c);
  const f = factoryOf(w);
  expect(w.messages('channel_reestablish').length - before).toBeGreaterThanOrEqual(2 * f.participants.length);
  for (const ch of f.channels) expect(ch.phase).toBe('normal');
  for (const c of w.clients) expect(clientOf(c).factory(f.factoryId)?.phase).toBe('open');
}

/** How many persists each role makes in an undisturbed ceremony of this shape (a dry run). */
async function persistCount(role: 'lsp' | 'client'): Promise<number> {
  const w = await World.create({ seed: `restart-count-${role}`, clients: 2, lspPolicy: { maxClients: 2 } });
  const node = role === 'lsp' ? w.lsp : (w.clients[0] as RoleNode);
  const from = node.trace.length;
  await registerAll(w);
  await mineUntilOpen(w);
  const n = node.trace
    .slice(from)
    .reduce((a, t) => a + t.actions.filter((x) => x.kind === 'persist').length, 0);
  await w.close();
  return n;
}

const COUNTS = { lsp: await persistCount('lsp'), client: await persistCount('client') };
const POINTS = { lsp: Math.min(KILLS, COUNTS.lsp), client: Math.min(KILLS, COUNTS.client) };
console.log(
  `roles-restart: CRASH_KILLS = ${KILLS}; crash points: LSP ${POINTS.lsp} of ${COUNTS.lsp} persists, client ${POINTS.client} of ${COUNTS.client}`,
);

describe('restart from SQLite', () => {
  for (const role of ['lsp', 'client'] as const)
    for (let k = 1; k <= POINTS[role]; k++)
      test(`${role} killed right after its persist #${k} of the ceremony`, async () => {
        const counter = nonceCounter();
        const w = await World.create({
          seed: `restart-${role}-${k}`,
          clients: 2,
          lspPolicy: { maxClients: 2 },
          nonceObserver: counter,
        });
        world = w;
        const victim: RoleNode = role === 'lsp' ? w.lsp : (w.clients[0] as RoleNode);
        let persists = 0;
        let killed = false;
        victim.crashPoint = (_a, index, node) => {
          if (index === 0 || node.trace.length === 0) return false;
          const prev = node.trace[node.trace.length - 1]?.actions[index - 1];
          if (prev?.kind !== 'persist') return false;
          persists++;
          if (persists !== k) return false;
          killed = true;
          return true;
        };
        // A persist that is the last action of its call: crash before the next call instead.
        const input = victim.input.bind(victim);
        victim.input = async (i) => {
          await input(i);
          const last = victim.trace[victim.trace.length - 1]?.actions;
          if (!killed && victim.crashPoint !== undefined && last?.[last.length - 1]?.kind === 'persist') {
            persists++;
            if (persists === k) {
              killed = true;
              victim.crashPoint = undefined;
              await w.crash(victim);
            }
          }
        };
        await registerAll(w);
        if (victim.down) await w.restart(victim);
        if (lspFactories(w).length === 0) await w.command(w.lsp, { type: 'form_factory' });
        await mineUntilOpen(w);
        if (victim.down) {
          await w.restart(victim);
          await mineUntilOpen(w);
        }
        expect(killed).toBe(true);
        await checkOpen(w);
        await channelsResume(w);
        const all = publicNonces(w);
        expect(new Set(all).size).toBe(all.length);
        expect(counter.max()).toBe(1);
        const lsp = w.lsp.machine as unknown as Lsp;
        expect(lsp.factory(factoryOf(w).factoryId)?.restarts ?? 0).toBeLessThanOrEqual(2);
      });
});

/** Phases named by the message a role has just handled (and persisted what it implies) when it dies. */
const PHASES = {
  lsp: [
    'factory_register',
    'factory_nonces',
    'factory_psigs',
    'channel_setup',
    'commitment_signed',
    'factory_reestablish',
  ],
  client: [
    'factory_register_response',
    'factory_propose',
    'factory_agg_nonces',
    'factory_signed',
    'channel_setup',
    'commitment_signed',
    'factory_funded',
  ],
} as const;

describe('restart in each phase', () => {
  for (const role of ['lsp', 'client'] as const)
    for (const after of PHASES[role])
      test(`${role} restarted from SQLite right after handling ${after}`, async () => {
        const counter = nonceCounter();
        const w = await World.create({
          seed: `phase-${role}-${after}`,
          clients: 2,
          lspPolicy: { maxClients: 2 },
          nonceObserver: counter,
        });
        world = w;
        const victim: RoleNode = role === 'lsp' ? w.lsp : (w.clients[1] as RoleNode);
        let killed = false;
        const input = victim.input.bind(victim);
        victim.input = async (i) => {
          await input(i);
          if (!killed && i.type === 'message' && i.message.type === after) {
            killed = true;
            await w.crash(victim);
          }
        };
        // factory_reestablish only flows after a reconnection: give the LSP one.
        if (after === 'factory_reestablish')
          w.net.observers.push((d) => {
            if (d.message.type === 'factory_signed' && !killed && w.net.isUp(d.from, d.to))
              w.disconnect(d.from, d.to);
          });
        await registerAll(w);
        for (let round = 0; round < 3; round++) {
          if (victim.down) await w.restart(victim);
          if (lspFactories(w).length === 0) await w.command(w.lsp, { type: 'form_factory' });
          await mineUntilOpen(w);
        }
        expect(killed).toBe(true);
        await checkOpen(w);
        await channelsResume(w);
        const all = publicNonces(w);
        expect(new Set(all).size).toBe(all.length);
        expect(counter.max()).toBe(1);
      });
});
