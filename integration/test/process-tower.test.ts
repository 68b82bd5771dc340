// Kill -9 of a standalone watchtower process between a trigger and its broadcast, over a role's real
// store (issue 23): the LSP of the deterministic harness runs without an embedded tower and writes
// its penalty entries into its own store as usual — SQLite, or PostgreSQL as when the tower runs on
// another machine (SUPERSCALAR_PG_URL, from scripts/with-postgres.sh); a tower process of its own (its own store
// and fee wallet) reads them, follows a SimChain served over RPC by this process, and is SIGKILLed
// once the update recording the trigger is durable (`after`) or while it may or may not be
// (`during`). Restarted on the same stores, it broadcasts the penalty and it confirms.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimServer } from '@superscalar/chain/sim-server';
import { toHex } from '@superscalar/core';
import { Bip86Account } from '@superscalar/keys';
import { openPostgresStore } from '@superscalar/persist/postgres';
import { decodeTx, txidOf } from '@superscalar/tx';
import { describe, expect, it } from 'vitest';
import {
  bundledChild,
  crashKills,
  crashSeed,
  isCi,
  type JsonChild,
  repoRoot,
  spawnJsonChild,
} from '../../test-utils/index.js';
import { heldCommitment, publishInOrder, signedPath } from '../harness/breach.js';
import { clientOf, factoryOf, openFactory, type RoleNode, seedOf, World } from '../harness/index.js';
import type { TowerChildConfig } from '../harness/process/tower.js';

const integrationDir = join(repoRoot, 'integration');
// pg is CommonJS: bundled in, with a `require` for its Node built-ins.
const bundle = bundledChild({
  dir: integrationDir,
  entry: 'harness/process/tower.ts',
  name: 'the tower child',
  cache: 'tower',
  bundleCommonJs: true,
});
const KILLS = crashKills(2, 2);
const seed = crashSeed();
console.log(`standalone tower kill -9: ${KILLS} kills (CRASH_KILLS), seed ${seed} (CRASH_SEED)`);

const start = (config: TowerChildConfig): JsonChild =>
  spawnJsonChild(bundle, config, { cwd: integrationDir, name: 'tower child' });

const event = (type: string, txid?: string) => (l: Record<string, unknown>) => {
  const e = l.event as { type?: string; txid?: string } | undefined;
  return l.type === 'event' && e?.type === type && (txid === undefined || e.txid === txid);
};

/** Waits (at most ~30 s) until `txid` is in the served chain's mempool. */
async function inMempool(w: World, txid: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (w.chain.mempool().includes(txid)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${txid} never reached the mempool`);
}

const PG_URL = process.env.SUPERSCALAR_PG_URL ?? '';

for (const kind of ['sqlite', 'postgres'] as const)
  describe(`kill -9 of a standalone tower over a role’s store (${kind})`, () => {
    if (kind === 'postgres' && PG_URL === '') {
      const why = `the LSP's store on PostgreSQL: SUPERSCALAR_PG_URL is not set. Run it with \`bash scripts/with-postgres.sh npx vitest run test/process-tower.test.ts\` (in integration/).`;
      if (isCi)
        it('requires PostgreSQL under CI', () => {
          throw new Error(`${why} Under CI=true this is a failure, never a skip.`);
        });
      else {
        console.warn(`SKIPPED: ${why}`);
        it.skip(why, () => undefined);
      }
      return;
    }
    it(`the penalty goes out after the restart (${KILLS} kills)`, async () => {
      const auth = { user: 'tower-test', password: 'tower-test' };
      const server = await startSimServer({ auth, persist: false });
      const dir = mkdtempSync(join(tmpdir(), 'tower-proc-'));
      const children: JsonChild[] = [];
      const worlds: World[] = [];
      try {
        const seen = { after: 0, during: 0 };
        for (let round = 0; round < KILLS; round++) {
          const mode = (seed + round) % 2 === 0 ? 'after' : 'during';
          // the LSP's store: its SQLite file, or a PostgreSQL schema of its own (the tower on another machine)
          const schema = `tower_lsp_${process.pid}_${round}_${Date.now().toString(36)}`;
          const w = await World.create({
            seed: `proc-tower-${kind}-${round}`,
            clients: 2,
            chain: server.chain,
            towers: false,
            openStore: (node) =>
              kind === 'postgres' && node.role === 'lsp'
                ? openPostgresStore({
                    connectionString: PG_URL,
                    schema,
                    sealingKey: node.keychain.storeSealingKey(),
                    poolSize: 4,
                  })
                : undefined,
          });
          worlds.push(w);
          await openFactory(w);
          const [cheater, payee] = w.clients as [RoleNode, RoleNode];
          const f = clientOf(cheater).factories()[0];
          if (f === undefined) throw new Error('no factory');
          const old = await heldCommitment({
            role: 'client',
            store: cheater.store,
            keychain: cheater.keychain,
            factoryIndex: f.factoryIndex,
            clientIndex: f.clientIndex,
            channelId: f.channel.channelId,
          });
          await w.command(payee, { type: 'create_invoice', amountMsat: 2_000_000n, description: 'x' });
          const invoice = (clientOf(payee).invoices()[0] as { invoice: string }).invoice;
          await w.command(cheater, { type: 'pay_invoice', invoice });
          expect(clientOf(cheater).payments()[0]?.status).toBe('sent');
          // the LSP's own store holds the penalty (no tower of its own runs)
          const rows = await w.lsp.store.list('watchEntries', { triggerTxid: old.txid });
          expect(rows.map((r) => r.kind)).toEqual(['penalty']);
          const penaltyTxid = txidOf(decodeTx((rows[0] as { responseTx: Uint8Array }).responseTx));
          const path = signedPath(
            factoryOf(w).proposal,
            f.clientIndex,
            clientOf(cheater).signedPath(f.factoryId) ?? [],
          );
          await publishInOrder(
            w.chain,
            path.map((p) => ({ txid: p.tx.txid, raw: p.raw })),
            () => w.mine(1),
          );

          // the tower's fee wallet (its own account), funded before it ever runs
          const feeSeed = seedOf(`proc-tower-${kind}-${round}/standalone-fee`);
          const account = Bip86Account.fromSeed(Uint8Array.from(feeSeed), { network: 'regtest' });
          const birthHeight = w.chain.height + 1;
          for (let i = 0; i < 2; i++) w.chain.fundSync(account.deriveKey(0, i).scriptPubKey, 100_000n);
          await w.mine(1);
          const config: TowerChildConfig = {
            url: server.url,
            ...auth,
            towerDb: join(dir, `tower-${kind}-${round}.db`),
            towerSeal: toHex(seedOf(`proc-tower-${kind}-${round}/tower-seal`)),
            entries: kind === 'sqlite' ? { kind, path: w.lsp.path } : { kind, url: PG_URL, schema },
            entriesSeal: toHex(w.lsp.keychain.storeSealingKey()),
            feeSeed: toHex(feeSeed),
            birthHeight,
            watch: old.txid,
            mode,
          };
          const doomed = start(config);
          children.push(doomed);
          await doomed.until((l) => l.type === 'ready');
          w.chain.broadcastSync(old.raw);
          await w.mine(1);
          await doomed.until((l) => l.type === (mode === 'after' ? 'triggered' : 'triggering'));
          await doomed.kill();
          seen[mode]++;
          // nothing reached the node
          expect(w.chain.mempool()).not.toContain(penaltyTxid);

          const revived = start({ ...config, mode: 'run' });
          children.push(revived);
          // sent again by the restarted runner's first tick (the update was durable), or anew when the
          // follower re-delivers the trigger's block (it was not)
          await inMempool(w, penaltyTxid);
          await w.mine(1);
          await revived.until(event('response_confirmed', penaltyTxid));
          const paid = w.chain.utxo({ txid: penaltyTxid, vout: 0 });
          expect(paid?.scriptPubKey).toEqual(
            w.lsp.keychain.closeAddress(factoryOf(w).factoryIndex).scriptPubKey,
          );
          expect(paid?.value).toBeGreaterThan(9_000n); // the cheater's 10,000 sat, less the penalty's fees
          await revived.kill();
        }
        console.log(
          `standalone tower kill -9 (${kind}): killed after the durable update ${seen.after}×, during it ${seen.during}×`,
        );
      } finally {
        for (const c of children) if (c.proc.exitCode === null) await c.kill();
        for (const w of worlds) await w.close();
        await server.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }, 300_000);
  });
