// What the roles' tower tests share (this package's tower.test.ts and packages/lsp/test/tower.test.ts):
// each role's deterministic factory keys (the factory itself is the watchtower tests' `fundedFactory`
// and `advanceLeaf`), an EmbeddedTower over a SQLite store fed from every durable update of the role,
// and a cheater publishing a signed path.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { BlockFollower, type SimChain, TxRejected } from '@superscalar/chain';
import type { TreeTx } from '@superscalar/factory-tree';
import { Bip86Account } from '@superscalar/keys';
import type { Op, Store } from '@superscalar/persist';
import { openSqliteStore } from '@superscalar/persist/sqlite';
import type { TowerEvent } from '@superscalar/watchtower';
import { storeCommit } from '@superscalar/watchtower/node';
import { afterEach } from 'vitest';
import type { FactoryKeys } from '../../watchtower/test/_factory.js';
import { EmbeddedTower } from '../src/runtime/index.js';

export { advanceLeaf, type Factory, fundedFactory } from '../../watchtower/test/_factory.js';

const enc = new TextEncoder();

/**
 * `role`'s tower-test keys: secret keys from `<role> tower test <i> <n>`, participant `i`'s close
 * script a P2TR-shaped script of the x-only key of secret key `i + closeKeyOffset`.
 */
export function roleTowerKeys(role: 'client' | 'lsp', closeKeyOffset: number): FactoryKeys {
  const secretKey = (i: number): Uint8Array => {
    for (let n = 0; ; n++) {
      const sk = sha256(enc.encode(`${role} tower test ${i} ${n}`));
      if (secp256k1.utils.isValidSecretKey(sk)) return sk;
    }
  };
  return {
    secretKey,
    closeScript: (i) => {
      const pk = secp256k1.getPublicKey(secretKey(i + closeKeyOffset), true);
      return Uint8Array.of(0x51, 0x20, ...pk.slice(1));
    },
    lStockSeed: sha256(enc.encode(`${role} tower test l-stock seed`)),
    factoryId: sha256(enc.encode(`${role} tower test factory`)),
  };
}

/** A role's store, its update sequence and its embedded tower, on `chain`. */
export interface TowerRig {
  readonly chain: SimChain;
  readonly store: Store;
  /** The role's update sequence: every durable update is shown to the tower. */
  readonly commit: (ops: readonly Op[]) => Promise<void>;
  readonly tower: EmbeddedTower;
  readonly events: TowerEvent[];
  /** Mines `n` blocks (default 1), the tower following each. */
  mine(n?: number): Promise<void>;
  poll(): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** Opens `role`'s tower rig (not started), closed and deleted after the test. */
export async function towerRig(
  chain: SimChain,
  o: { readonly role: 'client' | 'lsp'; readonly birthHeight: number },
): Promise<TowerRig> {
  const dir = mkdtempSync(join(tmpdir(), `${o.role}-tower-`));
  const store = await openSqliteStore({
    path: join(dir, `${o.role}.db`),
    sealingKey: new Uint8Array(32).fill(7),
  });
  const sequenced = await storeCommit(store);
  let tower: EmbeddedTower | undefined;
  const commit = async (ops: readonly Op[]) => {
    await sequenced(ops);
    tower?.committed(ops);
  };
  const follower = new BlockFollower(chain);
  const events: TowerEvent[] = [];
  tower = await EmbeddedTower.open({
    store,
    commit,
    account: Bip86Account.fromSeed(sha256(enc.encode(`${o.role} tower fee`)), { network: 'regtest' }),
    birthHeight: o.birthHeight,
    follower,
    chain,
    onEvent: (e) => {
      events.push(e);
    },
  });
  const t = tower;
  cleanups.push(async () => {
    t.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    chain,
    store,
    commit,
    tower: t,
    events,
    async poll() {
      await follower.poll();
    },
    async mine(n = 1) {
      for (let i = 0; i < n; i++) {
        chain.mineSync(1);
        await follower.poll();
      }
    },
  };
}

/** What {@link publishPath} got to. */
export interface Published {
  /** The first transaction the chain refused for a reason other than its relative lock, if any. */
  readonly stoppedAt: TreeTx | undefined;
  readonly reason: string | undefined;
  /** The confirmation height of each transaction that confirmed. */
  readonly at: Map<string, number>;
}

/** Publishes `txs` in order (each once the chain takes it), mining a block at a time. */
export async function publishPath(
  r: TowerRig,
  txs: readonly { tx: TreeTx; raw: Uint8Array }[],
): Promise<Published> {
  const at = new Map<string, number>();
  for (const { tx, raw } of txs)
    for (let i = 0; ; i++) {
      if (i > 200) throw new Error(`${tx.txid} never went in`);
      const info = await r.chain.getTransaction(tx.txid).catch(() => undefined);
      if (info?.confirmation) {
        at.set(tx.txid, info.confirmation.height);
        break;
      }
      if (info === undefined)
        try {
          r.chain.broadcastSync(raw);
        } catch (e) {
          if (!TxRejected.isInstance(e)) throw e;
          if (e.reason !== 'non-BIP68-final') return { stoppedAt: tx, reason: e.reason, at };
        }
      await r.mine(1);
    }
  return { stoppedAt: undefined, reason: undefined, at };
}
