// Entries as persist operations: what each builder refuses, the index they feed, pruning a closed
// factory, and the tower's typed errors at its boundary.
import { SimChain } from '@superscalar/chain';
import { errorClassProblems } from '@superscalar/core/test';
import type { Op } from '@superscalar/persist';
import { decodeTx, encodeTx, type Tx } from '@superscalar/tx';
import { Wallet } from '@superscalar/wallet';
import { describe, expect, it } from 'vitest';
import * as mod from '../src/index.js';
import {
  closeFactoryOps,
  DEFAULT_FEE_POLICY,
  DecodeError,
  InvalidArgumentError,
  InvalidEntryError,
  MissingEntriesError,
  nextFeeRate,
  OutOfOrderError,
  penaltyEntries,
  staleStateEntry,
  supersededStateEntries,
  Watchtower,
} from '../src/index.js';
import { account, MemoryStore, synthetic, TOWER_ACCOUNT } from './_rig.js';

const F1 = new Uint8Array(32).fill(1);
const F2 = new Uint8Array(32).fill(2);

function newTower(birthHeight = 1) {
  const w = Wallet.create({ account: account(TOWER_ACCOUNT), birthHeight, walletId: 'tower-main' });
  return Watchtower.create({ wallet: w.wallet, birthHeight });
}

describe('errors', () => {
  it('every error class is tagged, prefixed TOWER_, and exact under isInstance', () => {
    expect(errorClassProblems(mod, 'watchtower')).toEqual([]);
    const e = new mod.SecretMismatchError(3);
    expect(mod.WatchtowerError.isInstance(e)).toBe(true);
    expect(mod.UnknownPoisonError.isInstance(e)).toBe(false);
    expect(e.code).toBe('TOWER_SECRET_MISMATCH');
  });
});

describe('entry builders', () => {
  const chain = new SimChain();
  const s = synthetic(chain, { relLock: 7 });
  const other = synthetic(chain);

  it('a stale-state entry: the response row with its relative lock, and the factory blob with S', () => {
    const { ops } = staleStateEntry({
      factoryId: F1,
      kickoffTxid: s.triggerTxid,
      state: s.response,
      dwStep: 10,
    });
    expect(ops).toHaveLength(2);
    expect(ops[0]).toMatchObject({
      op: 'put',
      table: 'watchEntries',
      row: {
        triggerTxid: s.triggerTxid,
        responseIndex: 0,
        kind: 'stale-state',
        relativeLock: 7,
        secret: null,
      },
    });
    expect(ops[1]).toMatchObject({
      op: 'put',
      table: 'blobs',
      row: { key: mod.factoryBlobKey(F1), secret: false },
    });
  });

  it('refuses responses that cannot answer their trigger, naming what is wrong', () => {
    const bad = (f: () => unknown, field: RegExp) => {
      try {
        f();
      } catch (e) {
        expect(InvalidEntryError.isInstance(e), String(e)).toBe(true);
        expect((e as InstanceType<typeof InvalidEntryError>).field).toMatch(field);
        return;
      }
      throw new Error('expected a refusal');
    };
    // spends another transaction
    bad(
      () => staleStateEntry({ factoryId: F1, kickoffTxid: other.triggerTxid, state: s.response, dwStep: 10 }),
      /inputs\[0\]/,
    );
    const tx = decodeTx(s.response);
    const w = [tx.inputs[0]?.witness ?? []];
    // not version 3
    bad(
      () =>
        staleStateEntry({
          factoryId: F1,
          kickoffTxid: s.triggerTxid,
          state: encodeTx({ ...tx, version: 2 }, w),
          dwStep: 10,
        }),
      /state/,
    );
    // no anchor last
    const noAnchor = encodeTx({ ...tx, outputs: [...tx.outputs].reverse() }, w);
    bad(
      () =>
        penaltyEntries({
          factoryId: F1,
          copies: [
            {
              funding: { txid: s.triggerTxid, vout: 0 },
              commitmentTxid: s.triggerTxid,
              penalties: [noAnchor],
            },
          ],
        }),
      /penalties\[0\]/,
    );
    // more than 170 inputs (brief §7)
    const wide = encodeTx(
      {
        ...tx,
        inputs: Array.from({ length: 171 }, (_, v) => ({
          ...(tx.inputs[0] as Tx['inputs'][number]),
          vout: v,
        })),
      },
      Array.from({ length: 171 }, () => [new Uint8Array(64)]),
    );
    bad(
      () =>
        penaltyEntries({
          factoryId: F1,
          copies: [
            { funding: { txid: s.triggerTxid, vout: 0 }, commitmentTxid: s.triggerTxid, penalties: [wide] },
          ],
        }),
      /penalties\[0\]/,
    );
    // unsigned
    bad(
      () =>
        staleStateEntry({
          factoryId: F1,
          kickoffTxid: s.triggerTxid,
          state: encodeTx({ ...tx, inputs: tx.inputs.map((i) => ({ ...i, witness: [] })) }),
          dwStep: 10,
        }),
      /inputs\[0\]/,
    );
    bad(
      () =>
        staleStateEntry({ factoryId: F1, kickoffTxid: s.triggerTxid, state: new Uint8Array(5), dwStep: 10 }),
      /state/,
    );
    expect(() =>
      staleStateEntry({ factoryId: F1, kickoffTxid: s.triggerTxid, state: s.response, dwStep: 0 }),
    ).toThrow(InvalidArgumentError);
    expect(() =>
      staleStateEntry({
        factoryId: new Uint8Array(0),
        kickoffTxid: s.triggerTxid,
        state: s.response,
        dwStep: 1,
      }),
    ).toThrow(/factoryId/);
    expect(() => penaltyEntries({ factoryId: F1, copies: [] })).toThrow(InvalidArgumentError);
    expect(() => supersededStateEntries({ factoryId: F1, stateTxid: s.triggerTxid })).toThrow(
      InvalidArgumentError,
    );
    expect(() =>
      supersededStateEntries({
        factoryId: F1,
        stateTxid: s.triggerTxid,
        settlements: [
          { slot: 0, tx: s.response },
          { slot: 0, tx: s.response },
        ],
      }),
    ).toThrow(/duplicate slot/);
  });

  it('the index counts entries; pruning a closed factory deletes its rows and nothing else', async () => {
    const store = new MemoryStore();
    const { tower, ops } = newTower();
    store.apply(ops);
    const add = (change: { ops: readonly Op[] }) => {
      store.apply(change.ops);
      tower.ingest(change.ops);
    };
    add(staleStateEntry({ factoryId: F1, kickoffTxid: s.triggerTxid, state: s.response, dwStep: 10 }));
    add(
      supersededStateEntries({
        factoryId: F1,
        stateTxid: s.triggerTxid,
        settlements: [{ slot: 1, tx: s.response }],
      }),
    );
    add(
      penaltyEntries({
        factoryId: F2,
        copies: [
          {
            funding: { txid: other.triggerTxid, vout: 0 },
            commitmentTxid: other.triggerTxid,
            penalties: [other.response],
          },
        ],
      }),
    );
    // the same row again replaces itself
    add(staleStateEntry({ factoryId: F1, kickoffTxid: s.triggerTxid, state: s.response, dwStep: 10 }));
    expect(tower.indexedEntries).toBe(3);
    expect(tower.indexedTriggers).toBe(2);
    expect(
      tower.triggersIn({ txids: ['00'.repeat(32), s.triggerTxid, other.triggerTxid, '11'.repeat(32)] }),
    ).toEqual([s.triggerTxid, other.triggerTxid]);
    const prune = await closeFactoryOps(store, F1);
    add({ ops: prune });
    expect(tower.indexedEntries).toBe(1);
    expect(store.count('watchEntries')).toBe(1);
    expect(await store.get('blobs', { key: mod.factoryBlobKey(F1) })).toBeUndefined();
    expect((await store.list('watchEntries'))[0]?.triggerTxid).toBe(other.triggerTxid);
  });
});

describe('the tower at its boundary', () => {
  it('refuses a store without its meta, an unknown input, a block that does not extend its tip, and a block without its trigger rows', () => {
    expect(() => Watchtower.load({ blobs: [] }, { wallet: newTower().tower.wallet })).toThrow(DecodeError);
    const { tower } = newTower(101);
    expect(() => tower.handle({ type: 'nope' } as never)).toThrow(InvalidArgumentError);
    const chain = new SimChain();
    const s = synthetic(chain);
    tower.ingest(
      penaltyEntries({
        factoryId: F1,
        copies: [
          {
            funding: { txid: s.triggerTxid, vout: 0 },
            commitmentTxid: s.triggerTxid,
            penalties: [s.response],
          },
        ],
      }).ops,
    );
    const rates = { cpfp: 1_000, urgent: 1_000 };
    const empty = { entries: [], secrets: [], factories: [] };
    const at = (h: number) => {
      const b = chain.blockAt(h)!;
      return {
        height: h,
        hash: b.hash,
        prevHash: b.prevHash,
        time: 0,
        mediantime: 0,
        txs: b.txs,
        txids: b.txids,
      };
    };
    for (let h = 101; h <= chain.height; h++)
      tower.handle({ type: 'connected', block: at(h), rows: empty, feeRates: rates });
    expect(tower.tipHeight).toBe(chain.height);
    // at-least-once: the same block again is a no-op
    expect(
      tower.handle({ type: 'connected', block: at(chain.height), rows: empty, feeRates: rates }),
    ).toEqual([]);
    chain.broadcastSync(s.trigger);
    chain.mineSync(2);
    expect(() =>
      tower.handle({ type: 'connected', block: at(chain.height), rows: empty, feeRates: rates }),
    ).toThrow(OutOfOrderError);
    expect(() =>
      tower.handle({ type: 'connected', block: at(chain.height - 1), rows: empty, feeRates: rates }),
    ).toThrow(MissingEntriesError);
  });
});

describe('fee policy', () => {
  it('aims at the estimate, bumps by at least 25% and 1,000 sat/kvB, caps at the budget, and pays the emergency budget', () => {
    const p = DEFAULT_FEE_POLICY;
    expect(nextFeeRate(p, { estimate: 500, previous: undefined, emergency: false })).toBe(1_000);
    expect(nextFeeRate(p, { estimate: 2_000, previous: undefined, emergency: false })).toBe(2_000);
    expect(nextFeeRate(p, { estimate: 2_000, previous: 2_000, emergency: false })).toBe(3_000);
    expect(nextFeeRate(p, { estimate: 2_000, previous: 10_000, emergency: false })).toBe(12_500);
    expect(nextFeeRate(p, { estimate: 90_000, previous: 10_000, emergency: false })).toBe(50_000);
    expect(nextFeeRate(p, { estimate: 2_000, previous: 50_000, emergency: false })).toBe(50_000);
    expect(nextFeeRate(p, { estimate: 2_000, previous: 3_000, emergency: true })).toBe(500_000);
    expect(() => mod.feePolicy({ maxFeeRate: 10 })).toThrow(InvalidArgumentError);
  });
});
