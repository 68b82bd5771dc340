// Process-level kill -9 in each phase of the ceremony (issue 21: "a process-level kill -9 per phase
// with the SimChain server"): a SimChain server in its own process, the LSP in its own Node process
// (`LspNode` over `Lsp`, a SQLite file store, its wallet funded on the server through BitcoindRpc),
// the clients in others, real Noise over loopback. The LSP, or one client, is frozen at a named point
// of the ceremony — detected from what it persisted, received or broadcast, never from timing — then
// SIGKILLed and restarted from its store. Each run must end with the factory open (before signatures:
// by a fresh attempt), every acknowledged event kept and never delivered again, one funding
// transaction (never a conflicting broadcast) that confirms, the wallet's reservations held across
// the kill, no public nonce sent by two processes and no secret nonce object signing twice, and the
// channels resuming after a last kill -9 of the LSP at rest.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SpawnedSimServer, spawnSimServer } from '@superscalar/chain/sim-server';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { crashKills } from '../../test-utils/index.js';
import { checkCeremony, type KillPlan, runCeremony } from '../harness/process/ceremony.js';
import { bundleChild, type Trigger } from '../harness/process/index.js';

const lsp = (name: string, freeze: Trigger, beforeSignatures: boolean): KillPlan => ({
  name: `lsp-${name}`,
  victim: 'lsp',
  freezes: [freeze],
  beforeSignatures,
});
const client = (name: string, freeze: Trigger, beforeSignatures: boolean): KillPlan => ({
  name: `client-${name}`,
  victim: 'client',
  freezes: [freeze],
  beforeSignatures,
});

/** Every phase, both roles; ordered so that a small CRASH_KILLS still spans the ceremony. */
const PLANS: KillPlan[] = [
  lsp('nonces', { on: 'handled', type: 'factory_nonces', nth: 2 }, true),
  client('signed', { on: 'persisted', kind: 'FactorySigned', nth: 1 }, false),
  lsp('funded', { on: 'persisted', kind: 'FactoryFunded', nth: 1 }, false),
  client('agg-nonces', { on: 'handled', type: 'factory_agg_nonces', nth: 1 }, true),
  lsp('signed', { on: 'persisted', kind: 'FactorySigned', nth: 1 }, false),
  client('channel', { on: 'persisted', kind: 'ChannelReady', nth: 1 }, false),
  lsp('registered', { on: 'persisted', kind: 'RegistrationGranted', nth: 4 }, true),
  client('proposed', { on: 'persisted', kind: 'FactoryProposed', nth: 1 }, true),
  lsp('broadcast', { on: 'broadcast', label: 'funding' }, false),
  client('funding-broadcast', { on: 'receive', type: 'factory_funded', nth: 1 }, false),
  lsp('proposed', { on: 'persisted', kind: 'FactoryProposed', nth: 1 }, true),
  client('registered', { on: 'persisted', kind: 'RegistrationGranted', nth: 1 }, true),
  lsp('agg-nonces', { on: 'receive', type: 'factory_psigs', nth: 1 }, true),
  client('nonces', { on: 'receive', type: 'factory_agg_nonces', nth: 1 }, true),
  lsp('psigs', { on: 'handled', type: 'factory_psigs', nth: 2 }, true),
  client('psigs', { on: 'receive', type: 'factory_signed', nth: 1 }, false),
  lsp('channel', { on: 'persisted', kind: 'ChannelReady', nth: 2 }, false),
  lsp('open', { on: 'persisted', kind: 'FactoryOpen', nth: 1 }, false),
  client('open', { on: 'persisted', kind: 'FactoryOpen', nth: 1 }, false),
];

const KILLS = Math.min(crashKills(PLANS.length, 6), PLANS.length);
console.log(
  `process kill -9: ${KILLS} of ${PLANS.length} phase kills (CRASH_KILLS), each followed by a kill -9 of the LSP at rest`,
);

let server: SpawnedSimServer;
let bundle: { path: string; cleanup(): void };
let datadir: string;
beforeAll(async () => {
  bundle = bundleChild();
  datadir = mkdtempSync(join(tmpdir(), 'proc-kill-sim-'));
  server = await spawnSimServer({ datadir });
});
afterAll(async () => {
  await server?.kill('SIGKILL');
  bundle?.cleanup();
  rmSync(datadir, { recursive: true, force: true });
});

describe('kill -9 of a role process in each phase, restarted from SQLite', () => {
  for (const plan of PLANS.slice(0, KILLS))
    test(`${plan.name}: killed at ${JSON.stringify(plan.freezes[0])}`, async () => {
      const run = await runCeremony({ plan, bundle: bundle.path, server });
      try {
        await checkCeremony(run, plan);
      } finally {
        await run.world.close();
      }
    }, 180_000);
});
