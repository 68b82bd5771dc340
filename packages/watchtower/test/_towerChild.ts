// The body of a tower process for the kill -9 tests (this package's crash-child.ts and the integration
// suite's standalone tower over a role's store, integration/harness/process/tower.ts): the runner over
// its own store, following `chain` every 50 ms. It reports on stdout, one JSON line each: `ready` once
// following the chain; in mode `after`, `triggered` once the update recording the trigger `watch`
// (and its package) is durable — then it stalls before broadcasting; in mode `during`, `triggering`
// while that update may or may not be durable — then it stalls too; in mode `run`, every tower event
// as it happens.
import { BlockFollower } from '@superscalar/chain';
import type { BitcoindRpc } from '@superscalar/chain/bitcoind';
import type { Bip86Account } from '@superscalar/keys';
import type { Op, Store } from '@superscalar/persist';
import { openTower, storeEntrySource } from '../src/index.js';
import { storeCommit, TowerRunner } from '../src/node/index.js';

/** What a tower child runs on. */
export interface TowerChildOptions {
  /** The tower's own store. */
  readonly store: Store;
  /** The role's store the entries are read from (then not indexed in memory); default `store`. */
  readonly entries?: Store;
  readonly rpc: BitcoindRpc;
  /** The fee wallet's account. */
  readonly account: Bip86Account;
  readonly birthHeight: number;
  /** The trigger's txid. */
  readonly watch: string;
  readonly mode: 'after' | 'during' | 'run';
}

/** Runs the tower child until it is killed (it never returns on its own in `after`/`during`). */
export async function runTowerChild(o: TowerChildOptions): Promise<void> {
  const say = (x: object): void => {
    process.stdout.write(`${JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
  };
  const never = new Promise<never>(() => {});
  const sequenced = await storeCommit(o.store);
  const records = (ops: readonly Op[]) =>
    ops.some((x) => x.op === 'put' && x.table === 'blobs' && x.row.key === `tower/main/a/${o.watch}`);
  const commit = async (ops: readonly Op[]) => {
    if (o.mode === 'run' || !records(ops)) return sequenced(ops);
    const durable = sequenced(ops);
    if (o.mode === 'during') {
      say({ type: 'triggering' });
      await never;
    }
    await durable;
    say({ type: 'triggered' });
    await never;
  };
  const tower = await openTower({
    store: o.store,
    ...(o.entries === undefined ? {} : { entries: o.entries, index: false }),
    commit: sequenced,
    account: o.account,
    birthHeight: o.birthHeight,
  });
  const follower = new BlockFollower(o.rpc);
  const runner = new TowerRunner({
    tower,
    follower,
    chain: o.rpc,
    entries: storeEntrySource(o.entries ?? o.store),
    commit,
    onEvent: (event) => say({ type: 'event', event }),
  });
  await runner.start();
  follower.run({ intervalMs: 50, onError: (e) => process.stderr.write(`poll: ${String(e)}\n`) });
  say({ type: 'ready', tip: tower.tipHeight });
}
