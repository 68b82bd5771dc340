// The exit driver on its own (no wallet, no chain): when each item goes out, what a confirmation, a
// conflict, a refused broadcast and a reorganisation do, and its record's bytes.
import { feePolicy } from '@superscalar/watchtower';
import { describe, expect, it } from 'vitest';
import {
  decodeExitRecord,
  type ExitContext,
  ExitDriver,
  type ExitItemSpec,
  encodeExitRecord,
  newExitRecord,
} from '../src/index.js';

const ctx: ExitContext = { wallet: undefined, policy: feePolicy(), estimate: 1_000, urgent: 1_000 };

function spec(id: string, parent: string | null, o: Partial<ExitItemSpec> = {}): ExitItemSpec {
  return {
    id,
    kind: 'state',
    label: id,
    txid: Buffer.from(id).toString('hex').padEnd(64, '0'),
    raw: Uint8Array.of(1, 2, 3),
    anchor: { vout: 1, value: 240n, fee: 150n, vsize: 150 },
    parent,
    ...(parent === null ? { parentHeight: 100 } : {}),
    csv: 0,
    locktime: 0,
    ...o,
  };
}

const block = (height: number, ...txids: string[]) => ({
  height,
  hash: 'h'.repeat(64),
  txids: new Set(txids),
});

describe('ExitDriver', () => {
  it('sends each item at the first tip its locks allow, and its child only after the parent confirms', () => {
    const items = [
      spec('a', null),
      spec('b', 'a', { csv: 10 }),
      spec('c', 'b', { locktime: 130, kind: 'claim', anchor: null, amount: 5_000n }),
    ];
    const d = new ExitDriver(newExitRecord({ factoryId: 'f', reason: 'command', height: 100, items }));
    const [a, b, c] = items.map((i) => d.item(i.id)!);
    let out = d.onBlock(ctx, block(100));
    expect(out.broadcasts.map((x) => x.txid)).toEqual([a!.txid]); // parent confirmed at 100: due at tip 100
    expect(out.events.map((e) => e.kind)).toEqual(['ExitStepBroadcast']);
    out = d.onBlock(ctx, block(101, a!.txid));
    expect(out.events.map((e) => e.kind)).toContain('ExitStepConfirmed');
    expect(out.broadcasts).toHaveLength(0); // b waits 10 blocks: due at tip 101 + 10 − 1 = 110
    for (let h = 102; h < 110; h++) expect(d.onBlock(ctx, block(h)).broadcasts).toHaveLength(0);
    expect(d.onBlock(ctx, block(110)).broadcasts.map((x) => x.txid)).toEqual([b!.txid]);
    // Not confirmed in 111: re-sent (a re-bump; without a wallet the same package).
    const bump = d.onBlock(ctx, block(111));
    expect(bump.broadcasts.map((x) => x.txid)).toEqual([b!.txid]);
    expect(bump.events[0]).toMatchObject({ kind: 'ExitStepBroadcast', bump: 1 });
    d.onBlock(ctx, block(112, b!.txid));
    for (let h = 113; h < 130; h++) expect(d.onBlock(ctx, block(h)).broadcasts).toHaveLength(0); // nLockTime 130
    expect(d.onBlock(ctx, block(130)).broadcasts.map((x) => x.txid)).toEqual([c!.txid]);
    out = d.onBlock(ctx, block(131, c!.txid));
    expect(out.events.map((e) => e.kind)).toEqual(['ExitStepConfirmed', 'ExitClaimed', 'ExitCompleted']);
    expect(out.events[2]).toMatchObject({ claimed: 5_000n, confirmed: 3, lost: 0 });
  });

  it('a reorganisation sends a step again; its child waits for the parent again', () => {
    const items = [spec('a', null), spec('b', 'a')];
    const d = new ExitDriver(newExitRecord({ factoryId: 'f', reason: 'command', height: 100, items }));
    d.onBlock(ctx, block(100));
    d.onBlock(ctx, block(101, d.item('a')!.txid));
    expect(d.item('b')!.status).toBe('broadcast');
    const out = d.onBlockDisconnected(ctx, 101);
    expect(d.item('a')!.status).toBe('broadcast');
    expect(d.item('b')!.status).toBe('waiting');
    expect(out.broadcasts.map((x) => x.txid)).toEqual([d.item('a')!.txid]);
  });

  it('replayed blocks (ctx.replaying) send and re-bump nothing: confirmations count, and what is due goes out once, at the tip', () => {
    const replay: ExitContext = { ...ctx, replaying: true };
    // a confirmed in a replayed block: b, due from then on, waits for the tip
    const items = [spec('a', null), spec('b', 'a'), spec('c', 'a')];
    const d = new ExitDriver(newExitRecord({ factoryId: 'f', reason: 'distribution', height: 100, items }));
    const [a, b, c] = items.map((i) => d.item(i.id)!);
    expect(d.onBlock(replay, block(100)).broadcasts).toEqual([]);
    expect(d.onBlock(replay, block(101, a!.txid)).events.map((e) => e.kind)).toEqual(['ExitStepConfirmed']);
    expect(d.onBlock(replay, block(102, c!.txid)).broadcasts).toEqual([]); // c confirmed by someone else
    expect(d.onBlockDisconnected(replay, 103).broadcasts).toEqual([]);
    expect(d.onTick(replay, 102).broadcasts).toEqual([]);
    expect(d.item('b')!.status).toBe('waiting');
    const tip = d.onBlock(ctx, block(103));
    expect(tip.broadcasts.map((x) => x.txid)).toEqual([b!.txid]); // once, from the tip's state
    expect(tip.events).toEqual([
      expect.objectContaining({ kind: 'ExitStepBroadcast', height: 103, bump: 0 }),
    ]);
    // in flight, then a restart's catch-up: no re-bump until the tip
    expect(d.onBlock(replay, block(104)).broadcasts).toEqual([]);
    expect(d.onBlock(ctx, block(105)).events[0]).toMatchObject({ kind: 'ExitStepBroadcast', bump: 1 });
  });

  it('an input spent elsewhere loses the item and its descendants; a conflict confirming loses the other', () => {
    const items = [
      spec('a', null),
      spec('b', 'a', { conflicts: ['t'] }),
      spec('c', 'b'),
      spec('t', 'a', { kind: 'timeout', anchor: null, locktime: 500, conflicts: ['b'] }),
    ];
    const d = new ExitDriver(newExitRecord({ factoryId: 'f', reason: 'recovery', height: 100, items }));
    d.onBlock(ctx, block(100));
    d.onBlock(ctx, block(101, d.item('a')!.txid));
    const out = d.onBroadcastResult(d.item('b')!.txid, { code: 'X', reason: 'missing-inputs' }, 101);
    expect(d.item('b')!.status).toBe('lost');
    expect(d.item('c')!.status).toBe('lost');
    expect(d.item('t')!.status).toBe('lost'); // it spends the same output, spent by someone else
    expect(out.events.at(-1)).toMatchObject({ kind: 'ExitCompleted', lost: 1 }); // only b went out

    const e = new ExitDriver(newExitRecord({ factoryId: 'g', reason: 'recovery', height: 100, items }));
    e.onBlock(ctx, block(101, e.item('a')!.txid));
    e.onBlock(ctx, block(102, e.item('t')!.txid));
    expect(e.item('b')!.status).toBe('lost');
    expect(e.item('c')!.status).toBe('lost');
  });

  it('publish turns watched items into broadcast ones (some or all), never an external one', () => {
    const items = [
      spec('a', null, { broadcast: false }),
      spec('b', 'a', { broadcast: false }),
      spec('x', 'a', { broadcast: false, external: true }),
    ];
    const d = new ExitDriver(newExitRecord({ factoryId: 'f', reason: 'recovery', height: 100, items }));
    expect(d.onBlock(ctx, block(100)).broadcasts).toHaveLength(0); // only watched
    d.publish('go_on_chain', new Set(['a']));
    expect(d.record.reason).toBe('go_on_chain');
    expect(d.onBlock(ctx, block(101)).broadcasts.map((x) => x.txid)).toEqual([d.item('a')?.txid]);
    d.publish('exit-factory');
    expect(d.item('b')?.broadcast).toBe(true);
    expect(d.item('x')?.broadcast).toBe(false);
  });

  it('a reorganisation that removes the spend an item lost to revives it', () => {
    const items = [
      spec('a', null),
      spec('b', 'a', { conflicts: ['t'] }),
      spec('t', 'a', { kind: 'timeout', anchor: null, locktime: 500, conflicts: ['b'] }),
    ];
    const d = new ExitDriver(newExitRecord({ factoryId: 'f', reason: 'recovery', height: 100, items }));
    d.onBlock(ctx, block(101, d.item('a')?.txid as string));
    d.onBlock(ctx, block(102, d.item('t')?.txid as string)); // the timeout recovery won
    expect(d.item('b')?.status).toBe('lost');
    const out = d.onBlockDisconnected(ctx, 102);
    expect(d.item('t')?.status).toBe('broadcast'); // back in flight: sent again
    expect(d.item('b')?.status).toBe('broadcast'); // revived: due at once, and sent
    expect(out.broadcasts.map((x) => x.txid).sort()).toEqual([d.item('b')?.txid, d.item('t')?.txid].sort());
    expect(d.record.completed).toBe(false);
  });

  it('refuses a plan whose child comes before its parent', () => {
    expect(() =>
      newExitRecord({
        factoryId: 'f',
        reason: 'command',
        height: 1,
        items: [spec('b', 'a'), spec('a', null)],
      }),
    ).toThrow(/before its parent/);
  });

  it('its record round-trips through its bytes (bigints and bytes included)', () => {
    const items = [spec('a', null, { amount: 12_345n })];
    const r = newExitRecord({ factoryId: 'f', reason: 'command', height: 7, items });
    r.changeScript = Uint8Array.of(0x51, 0x20, 9);
    const back = decodeExitRecord('k', encodeExitRecord(r));
    expect(back).toEqual(r);
    expect(() => decodeExitRecord('k', Uint8Array.of(1, 2))).toThrow(/exit record/);
  });
});
