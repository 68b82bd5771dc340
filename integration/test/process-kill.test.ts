import { describe, test } from 'vitest';
import { crashKills } from '../../test-utils/index.js';
import { checkCeremony, type KillPlan, runCeremony } from '../harness/process/ceremony.js';
import { processSuite, type Trigger } from '../harness/process/index.js';

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

const suite = processSuite('proc-kill-sim-');

describe('kill -9 of a role process in each phase, restarted from SQLite', () => {
  for (const plan of PLANS.slice(0, KILLS))
    test(`${plan.name}: killed at ${JSON.stringify(plan.freezes[0])}`, async () => {
      const run = await runCeremony({ plan, bundle: suite.bundle, server: suite.server });
      try {
        await checkCeremony(run, plan);
      } finally {
        await run.world.close();
      }
    }, 180_000);
});
