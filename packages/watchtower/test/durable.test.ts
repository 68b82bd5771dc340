// Entries are unbounded and durable (brief §11; the C tower keeps 128 in memory): 100,000 entries of
// 100 factories written through persist's SQLite store in the role's update sequence, the store closed
// and reopened, and an indexed tower loaded from it holds all of them; pruning one factory removes
// exactly its 1,000.
import { randomBytes } from 'node:crypto';
import { displayHex, encodeTx, P2A_SCRIPT, type Tx, txidBytes } from '@superscalar/tx';
import { describe, expect, it } from 'vitest';
import { closeFactoryOps, openTower, penaltyEntries } from '../src/index.js';
import { storeCommit } from '../src/node/index.js';
import { account, TOWER_ACCOUNT } from './_rig.js';
import { openDb, tempDb } from './_sqlite.js';

const ENTRIES = 100_000;
const PER_UPDATE = 2_000;
const factory = (i: number) => Uint8Array.of(0xfa, i % 100);

/** A response spending output 0 of `trigger`: version 3, a 64-byte witness, `[P2TR, P2A]`. */
function response(trigger: string): Uint8Array {
  const tx: Tx = {
    version: 3,
    locktime: 0,
    inputs: [{ txidBytes: txidBytes(trigger), vout: 0, sequence: 0xfffffffd }],
    outputs: [
      { value: 10_000n, script: Uint8Array.of(0x51, 0x20, ...randomBytes(32)) },
      { value: 240n, script: P2A_SCRIPT },
    ],
  };
  return encodeTx(tx, [[randomBytes(64)]]);
}

describe('durability', () => {
  it(`${ENTRIES.toLocaleString('en')} entries survive a restart of the store and the tower (SQLite)`, async () => {
    const path = tempDb();
    let store = await openDb(path);
    let commit = await storeCommit(store);
    const tower = await openTower({ store, commit, account: account(TOWER_ACCOUNT), birthHeight: 1 });
    const t0 = performance.now();
    for (let at = 0; at < ENTRIES; at += PER_UPDATE) {
      const ops = [];
      for (let i = at; i < at + PER_UPDATE; i++) {
        const trigger = displayHex(randomBytes(32));
        ops.push(
          ...penaltyEntries({
            factoryId: factory(i),
            copies: [
              {
                funding: { txid: trigger, vout: 0 },
                commitmentTxid: trigger,
                penalties: [response(trigger)],
              },
            ],
          }).ops,
        );
      }
      await commit(ops);
      tower.ingest(ops);
    }
    const written = performance.now() - t0;
    expect(tower.indexedEntries).toBe(ENTRIES);
    await store.close();

    store = await openDb(path);
    commit = await storeCommit(store);
    const t1 = performance.now();
    const again = await openTower({ store, commit, account: account(TOWER_ACCOUNT), birthHeight: 1 });
    const loaded = performance.now() - t1;
    expect(again.indexedEntries).toBe(ENTRIES);
    expect(again.indexedTriggers).toBe(ENTRIES);
    const prune = await closeFactoryOps(store, factory(7));
    await commit(prune);
    again.ingest(prune);
    expect(again.indexedEntries).toBe(ENTRIES - ENTRIES / 100);
    await store.close();
    console.log(
      `durable: ${ENTRIES} entries written in ${(written / 1000).toFixed(1)} s (${ENTRIES / PER_UPDATE} updates), loaded into the index in ${(loaded / 1000).toFixed(1)} s; pruning one factory removed ${ENTRIES / 100}`,
    );
  }, 600_000);
});
