// The exit driver taking its states over from the role's tower (`towerTakeOverOps`), over a fake
// tower port: what is released, what the driver adopts (the kickoff's confirmation, the tower's
// package in flight as its previous child), and that the first package it sends itself is a re-bump;
// and tower events as the client's journal decodes them.
import { feePolicy, RELEASED_KIND, type ReleasedResponse, towerEventOp } from '@superscalar/watchtower';
import { describe, expect, it } from 'vitest';
import {
  decodeClientEvent,
  type ExitContext,
  ExitDriver,
  type ExitItemSpec,
  newExitRecord,
  type TowerPort,
  towerTakeOverOps,
} from '../src/index.js';

const ctx: ExitContext = { wallet: undefined, policy: feePolicy(), estimate: 1_000, urgent: 1_000 };
const txid = (s: string) => Buffer.from(s).toString('hex').padEnd(64, '0');

function item(id: string, kind: ExitItemSpec['kind'], parent: string | null, csv = 0): ExitItemSpec {
  return {
    id,
    kind,
    label: id,
    txid: txid(id),
    raw: Uint8Array.of(1),
    anchor: { vout: 1, value: 240n, fee: 150n, vsize: 150 },
    parent,
    ...(parent === null ? { parentHeight: 100 } : {}),
    csv,
    locktime: 0,
  };
}

function port(answer: (ref: { triggerTxid: string }) => ReleasedResponse) {
  const calls: { triggerTxid: string; responseIndex: number }[][] = [];
  const p: TowerPort = {
    release(refs) {
      calls.push([...refs]);
      return {
        ops: refs.map((r) => ({ op: 'delete', table: 'watchEntries', key: r }) as const),
        released: refs.map(answer),
      };
    },
  };
  return { p, calls };
}

describe('towerTakeOverOps', () => {
  it('adopts the tower’s package in flight: no package of its own until the next block, then a re-bump', () => {
    const items = [item('k', 'kickoff', null), item('s', 'state', 'k', 5)];
    const d = new ExitDriver(newExitRecord({ factoryId: 'f', reason: 'command', height: 120, items }));
    const child = { txid: txid('child'), raw: Uint8Array.of(9), feeRate: 3_000, fee: 900n };
    const { p, calls } = port((r) => ({
      triggerTxid: r.triggerTxid,
      responseIndex: 0,
      txid: txid('s'),
      status: 'broadcast',
      trigger: { height: 110, hash: 'a'.repeat(64) },
      confirmedAt: null,
      child,
      lastTip: 120,
    }));
    const ops = towerTakeOverOps(d, p);
    expect(calls).toEqual([[{ triggerTxid: txid('k'), responseIndex: 0 }]]);
    expect(ops).toHaveLength(1);
    expect(d.item('k')).toMatchObject({ status: 'confirmed', confirmedAt: { height: 110 } });
    expect(d.item('s')).toMatchObject({ status: 'broadcast', lastTip: 120, child: { txid: child.txid } });
    // the block of the take-over: nothing of the driver's (the tower's package is in the mempool)
    expect(d.onBlock(ctx, { height: 120, hash: 'b'.repeat(64), txids: new Set() }).broadcasts).toEqual([]);
    const next = d.onBlock(ctx, { height: 121, hash: 'c'.repeat(64), txids: new Set() });
    expect(next.broadcasts.map((b) => b.txid)).toEqual([txid('s')]);
    expect(next.events[0]).toMatchObject({ kind: 'ExitStepBroadcast', bump: 1 });
  });

  it('a kickoff not confirmed: released, nothing adopted; without a port only the entry is deleted', () => {
    const items = [item('k', 'kickoff', null), item('s', 'state', 'k', 5)];
    const d = new ExitDriver(newExitRecord({ factoryId: 'f', reason: 'command', height: 120, items }));
    const { p } = port((r) => ({
      triggerTxid: r.triggerTxid,
      responseIndex: 0,
      status: 'inactive',
      trigger: null,
      confirmedAt: null,
      child: null,
      lastTip: null,
    }));
    expect(towerTakeOverOps(d, p)).toHaveLength(1);
    expect(d.item('k')?.status).toBe('waiting');
    expect(d.item('s')?.status).toBe('waiting');
    const e = new ExitDriver(
      newExitRecord({ factoryId: 'ab'.repeat(32), reason: 'command', height: 120, items }),
    );
    expect(towerTakeOverOps(e, undefined)).toEqual([
      {
        op: 'put',
        table: 'watchEntries',
        row: {
          triggerTxid: txid('k'),
          responseIndex: 0,
          factoryId: new Uint8Array(32).fill(0xab),
          kind: RELEASED_KIND,
          responseTx: new Uint8Array(0),
          validFromHeight: null,
          relativeLock: null,
          secret: null,
        },
      },
    ]);
  });

  it('without a port (a standalone tower): a kickoff already confirmed is marked released too; settled states are not', () => {
    const items = [
      item('k', 'kickoff', null),
      item('s', 'state', 'k', 5),
      item('k2', 'kickoff', 's'),
      { ...item('s2', 'state', 'k2', 5), broadcast: false },
    ];
    const d = new ExitDriver(
      newExitRecord({ factoryId: 'cd'.repeat(32), reason: 'command', height: 120, items }),
    );
    const k = d.item('k') as NonNullable<ReturnType<typeof d.item>>;
    k.status = 'confirmed'; // the kickoff confirmed: its trigger is active in the tower
    const ops = towerTakeOverOps(d, undefined);
    expect(
      ops.map((o) => (o.op === 'put' && o.table === 'watchEntries' ? [o.row.triggerTxid, o.row.kind] : o)),
    ).toEqual([[txid('k'), RELEASED_KIND]]);
  });
});

describe('tower events in the client journal', () => {
  it('decode as Tower* events, the entry kind as entryKind', () => {
    const op = towerEventOp({
      type: 'fee_coins_exhausted',
      triggerTxid: txid('t'),
      responseIndex: 0,
      kind: 'penalty',
      txid: txid('p'),
      needed: 12_345n,
    });
    expect(decodeClientEvent(op)).toEqual({
      kind: 'TowerFeeCoinsExhausted',
      triggerTxid: txid('t'),
      responseIndex: 0,
      entryKind: 'penalty',
      txid: txid('p'),
      needed: 12_345n,
    });
    expect(() => decodeClientEvent({ kind: 'TowerTriggered', payload: Uint8Array.of(0xff) })).toThrow(
      /does not decode/,
    );
  });
});
