// RoleRuntime and its executor with fake connections and a real SQLite store: the execution contract
// (order, persist before send, a send bound to the connection of its moment), fail-stop, broadcasts
// and fee rates; a message sent to several peers by one call is encoded once, and a long run of sends
// yields to the event loop.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BlockFollower,
  type Broadcaster,
  type FeeEstimator,
  type FeePurpose,
  SimChain,
} from '@superscalar/chain';
import { EventQueue, Sequencer, type Store } from '@superscalar/persist';
import { openSqliteStore } from '@superscalar/persist/sqlite';
import { type EncodedMessage, encodeMessage, type Message, preEncodeMessage } from '@superscalar/wire';
import { afterAll, describe, expect, it } from 'vitest';
import type { Action, RuntimeInput } from '../src/index.js';
import { MachineFailedError, StoppedError } from '../src/index.js';
import { YIELD_AFTER_MS } from '../src/runtime/executor.js';
import { type PeerLink, RoleRuntime } from '../src/runtime/index.js';

const dir = mkdtempSync(join(tmpdir(), 'client-runtime-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let k = 0;

class FakeLink implements PeerLink {
  readonly sent: Message[] = [];
  open = true;
  onSend: ((m: Message) => void) | undefined;
  #close!: () => void;
  readonly closed = new Promise<void>((r) => {
    this.#close = r;
  });
  start(): void {}
  send(m: Message): boolean {
    if (!this.open) return false;
    this.onSend?.(m);
    this.sent.push(m);
    return true;
  }
  async close(): Promise<void> {
    this.open = false;
    this.#close();
  }
}

/** A link that takes pre-encoded messages, as `MessageLink` does. */
class EncodingLink extends FakeLink {
  readonly encoded: EncodedMessage[] = [];
  sendEncoded(e: EncodedMessage): boolean {
    if (!this.open) return false;
    this.encoded.push(e);
    return true;
  }
}

type Cmd = { type: 'do'; actions: Action[] };
class Scripted {
  readonly inputs: RuntimeInput[] = [];
  tip: { height: number; hash: string } | null = null;
  constructor(readonly nodeId = '02'.padEnd(66, '1')) {}
  handle(input: RuntimeInput | Cmd): readonly Action[] {
    if (input.type === 'do') return input.actions;
    if (input.type !== 'tick') this.inputs.push(input);
    return [];
  }
}

const blob = (key: string): Action => ({
  kind: 'persist',
  ops: [{ op: 'put', table: 'blobs', row: { key, version: 1, data: Uint8Array.of(1), secret: false } }],
});
const warn = (peer: string, text: string): Action => ({
  kind: 'send',
  peer,
  message: { type: 'warning', text },
});

async function runtime(
  extra: { store?: Store; broadcaster?: Broadcaster; fees?: FeeEstimator } = {},
): Promise<{ rt: RoleRuntime<Cmd>; machine: Scripted; store: Store }> {
  const store =
    extra.store ??
    (await openSqliteStore({ path: join(dir, `r${k++}.db`), sealingKey: new Uint8Array(32).fill(1) }));
  const sequencer = await Sequencer.open(store);
  const machine = new Scripted();
  const rt = new RoleRuntime<Cmd>({
    machine,
    sequencer,
    events: await EventQueue.open(sequencer),
    chain: {
      ...(extra.broadcaster === undefined ? {} : { broadcaster: extra.broadcaster }),
      ...(extra.fees === undefined ? {} : { fees: extra.fees, feeIntervalMs: 5 }),
    },
    errors: { stopped: () => new StoppedError(), failed: (c) => new MachineFailedError(c) },
  });
  rt.start();
  return { rt, machine, store };
}

describe('RoleRuntime', () => {
  it('runs actions in order; each send leaves only after the persists before it are durable', async () => {
    const { rt, store } = await runtime();
    const link = new FakeLink();
    rt.attach('p', link);
    const durableAtSend: bigint[] = [];
    link.onSend = () => void store.lastUpdateId().then((id) => durableAtSend.push(id));
    await rt.input({
      type: 'do',
      actions: [blob('a'), blob('b'), warn('p', '1'), blob('c'), warn('p', '2')],
    });
    await rt.input({ type: 'do', actions: [warn('p', '3')] });
    expect(link.sent.map((m) => (m.type === 'warning' ? m.text : ''))).toEqual(['1', '2', '3']);
    await new Promise((r) => setTimeout(r, 10));
    // Send 1 after persists a and b (ids 1, 2), sends 2 and 3 after c (3). Persist c may already be
    // durable at send 1 (group commit: the persists of one turn go to the store together).
    expect(durableAtSend).toHaveLength(3);
    expect(durableAtSend.map((id, i) => id >= [2n, 3n, 3n][i]!)).toEqual([true, true, true]);
    await rt.stop();
    await store.close();
  });

  it('one message object sent to several peers by one call is encoded once, for every link that can take it', async () => {
    const { rt, store } = await runtime();
    const [a, b, plain] = [new EncodingLink(), new EncodingLink(), new FakeLink()];
    rt.attach('a', a);
    rt.attach('b', b);
    rt.attach('c', plain);
    const all: Message = { type: 'warning', text: 'to every peer' };
    const send = (peer: string, message: Message): Action => ({ kind: 'send', peer, message });
    await rt.input({
      type: 'do',
      actions: [send('a', all), warn('a', 'a alone'), send('b', all), blob('x'), send('c', all)],
    });
    expect(a.encoded).toHaveLength(1);
    expect(b.encoded).toEqual(a.encoded);
    expect(b.encoded[0]).toBe(a.encoded[0]);
    expect(a.encoded[0]?.message).toBe(all);
    expect(a.encoded[0]?.bytes()).toEqual(encodeMessage(all));
    expect(a.sent).toEqual([{ type: 'warning', text: 'a alone' }]); // one send: encoded by its link
    expect(plain.sent).toEqual([all]); // no sendEncoded: the message itself
    // Another call's send of the same object is that call's own.
    await rt.input({ type: 'do', actions: [send('a', all)] });
    expect(a.sent.at(-1)).toBe(all);
    expect(a.encoded).toHaveLength(1);
    // A send that carries its encoding (the LSP's proposal, encoded once per factory) uses it in any
    // call; one whose encoding is of another message is sent from its message.
    const pre = preEncodeMessage({ type: 'warning', text: 'encoded by the machine' });
    await rt.input({
      type: 'do',
      actions: [{ kind: 'send', peer: 'a', message: pre.message, encoded: pre }],
    });
    await rt.input({
      type: 'do',
      actions: [{ kind: 'send', peer: 'b', message: pre.message, encoded: pre }],
    });
    expect(a.encoded.at(-1)).toBe(pre);
    expect(b.encoded.at(-1)).toBe(pre);
    await rt.input({ type: 'do', actions: [{ kind: 'send', peer: 'a', message: all, encoded: pre }] });
    expect(a.sent.at(-1)).toBe(all);
    expect(a.encoded).toHaveLength(2);
    // A shared message with no encoding is a bug of the machine: fail-stop, nothing sent.
    const bad = { type: 'warning', text: 5 } as unknown as Message;
    await expect(rt.input({ type: 'do', actions: [send('a', bad), send('b', bad)] })).rejects.toSatisfy((e) =>
      MachineFailedError.isInstance(e),
    );
    expect(b.encoded).toHaveLength(2);
    await store.close();
  });

  it('a long run of sends yields to the event loop between them', async () => {
    const { rt, store } = await runtime();
    const link = new FakeLink();
    rt.attach('p', link);
    const seen: string[] = [];
    link.onSend = (m) => {
      seen.push(m.type === 'warning' ? m.text : m.type);
      const t = performance.now();
      while (performance.now() - t < YIELD_AFTER_MS + 5); // a send that takes a while
    };
    setImmediate(() => seen.push('other I/O'));
    await rt.input({ type: 'do', actions: [warn('p', '1'), warn('p', '2'), warn('p', '3')] });
    expect(seen).toEqual(['1', 'other I/O', '2', '3']);
    await rt.stop();
    await store.close();
  });

  it('group commit: the persists of several handle calls in one turn go to the store as one run, each send after its own', async () => {
    const inner = await openSqliteStore({
      path: join(dir, `r${k++}.db`),
      sealingKey: new Uint8Array(32).fill(1),
    });
    const log: string[] = [];
    // The store sees every applyUpdate of the group before the first is acknowledged: one transaction.
    const store = new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === 'applyUpdate')
          return (u: { id: bigint; ops: readonly unknown[] }) => {
            log.push(`apply ${u.id}`);
            return target.applyUpdate(u as never).then((ack) => {
              log.push(`ack ${u.id}`);
              return ack;
            });
          };
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as Store;
    const { rt } = await runtime({ store });
    const link = new FakeLink();
    rt.attach('p', link);
    link.onSend = (m) => void log.push(`send ${m.type === 'warning' ? m.text : ''}`);
    const calls = [1, 2, 3].map((i) => rt.input({ type: 'do', actions: [blob(`k${i}`), warn('p', `${i}`)] }));
    await Promise.all(calls);
    expect(log).toEqual([
      'apply 1',
      'apply 2',
      'apply 3',
      'ack 1',
      'ack 2',
      'ack 3',
      'send 1',
      'send 2',
      'send 3',
    ]);
    expect(await inner.lastUpdateId()).toBe(3n);
    await rt.stop();
    await inner.close();
  });

  it('a send goes to the connection of its moment: after a replacement it is dropped, never misdelivered', async () => {
    const inner = await openSqliteStore({
      path: join(dir, `r${k++}.db`),
      sealingKey: new Uint8Array(32).fill(1),
    });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slow = new Proxy(inner, {
      get: (t, p) =>
        p === 'applyUpdate'
          ? async (u: Parameters<Store['applyUpdate']>[0]) => {
              await gate;
              return t.applyUpdate(u);
            }
          : ((Reflect.get(t, p) as (...a: unknown[]) => unknown).bind?.(t) ?? Reflect.get(t, p)),
    }) as Store;
    const { rt, machine } = await runtime({ store: slow });
    const old = new FakeLink();
    rt.attach('p', old);
    const done = rt.input({ type: 'do', actions: [blob('x'), warn('p', 'for the old connection')] });
    const fresh = new FakeLink();
    rt.attach('p', fresh); // replaced while the persist is still in flight
    release();
    await done;
    expect(old.sent).toEqual([]);
    expect(fresh.sent).toEqual([]);
    expect(machine.inputs.map((i) => i.type)).toEqual([
      'peer_connected',
      'peer_disconnected',
      'peer_connected',
    ]);
    await rt.stop();
    await inner.close();
  });

  it('fail-stop: after a failed persist nothing more runs, and every later input is refused', async () => {
    const { rt, store } = await runtime();
    const link = new FakeLink();
    rt.attach('p', link);
    const bad: Action = { kind: 'persist', ops: [{ op: 'put', table: 'nope' } as never] };
    const r = rt.input({ type: 'do', actions: [bad, warn('p', 'never'), blob('y')] });
    await expect(r).rejects.toSatisfy((e) => MachineFailedError.isInstance(e));
    expect(link.sent).toEqual([]);
    expect(link.open).toBe(false);
    expect(await rt.stopped).toBe(rt.failure);
    await expect(rt.input({ type: 'do', actions: [] })).rejects.toBe(rt.failure);
    expect(await store.lastUpdateId()).toBe(0n);
    await store.close();
  });

  it('broadcasts go out in order and their results come back in order, refusals with code and reason', async () => {
    const order: number[] = [];
    const broadcaster: Broadcaster = {
      broadcast: async (raw) => {
        await new Promise((r) => setTimeout(r, raw[0] === 1 ? 20 : 0)); // the first is the slowest
        order.push(raw[0] as number);
        if (raw[0] === 2)
          throw Object.assign(new Error('bad'), { code: 'CHAIN_TX_REJECTED', reason: 'dust' });
        return 'ff'.repeat(32);
      },
      broadcastPackage: async () => {
        throw new Error('unused');
      },
    };
    const { rt, machine, store } = await runtime({ broadcaster });
    const b = (n: number): Action => ({
      kind: 'broadcast',
      raw: Uint8Array.of(n),
      txid: `${n}`.repeat(64),
      label: 't',
    });
    await rt.input({ type: 'do', actions: [b(1), b(2), b(3)] });
    while (machine.inputs.length < 3) await new Promise((r) => setTimeout(r, 5));
    await rt.stop();
    expect(order).toEqual([1, 2, 3]);
    expect(machine.inputs.filter((i) => i.type === 'broadcast_result')).toEqual([
      { type: 'broadcast_result', txid: '1'.repeat(64) },
      {
        type: 'broadcast_result',
        txid: '2'.repeat(64),
        error: { code: 'CHAIN_TX_REJECTED', reason: 'dust' },
      },
      { type: 'broadcast_result', txid: '3'.repeat(64) },
    ]);
    await store.close();
  });

  it('feeds fee_rates by purpose, only when an estimate changed', async () => {
    let bump = 0;
    const fees: FeeEstimator = {
      feeRate: async (p: FeePurpose) => (p === 'presigned' ? 1_000 : 2_000 + (bump++ >= 6 ? 500 : 0)),
    };
    const { rt, machine, store } = await runtime({ fees });
    const rates = () => machine.inputs.filter((i) => i.type === 'fee_rates');
    while (rates().length < 2) await new Promise((r) => setTimeout(r, 5));
    await rt.stop();
    expect(rates()[0]).toEqual({
      type: 'fee_rates',
      rates: { funding: 2_000, tree: 1_000, commitment: 1_000, close: 2_000 },
    });
    expect(rates()[1]).toEqual({
      type: 'fee_rates',
      rates: { funding: 2_500, tree: 1_000, commitment: 1_000, close: 2_500 },
    });
    expect(rates()).toHaveLength(2);
    await store.close();
  });

  it('a machine restored at a block is handed the blocks mined while it was down (unless `from` says otherwise)', async () => {
    const chain = new SimChain();
    chain.mineSync(3);
    const follower = new BlockFollower(chain);
    const at = await chain.tip();
    chain.mineSync(2); // mined while the node was down
    const heights = async (chainPorts: Record<string, unknown>, tip: Scripted['tip']) => {
      const store = await openSqliteStore({
        path: join(dir, `r${k++}.db`),
        sealingKey: new Uint8Array(32).fill(1),
      });
      const sequencer = await Sequencer.open(store);
      const machine = new Scripted();
      machine.tip = tip;
      const rt = new RoleRuntime<Cmd>({
        machine,
        sequencer,
        events: await EventQueue.open(sequencer),
        chain: { follower, pollIntervalMs: 0, ...chainPorts },
        errors: { stopped: () => new StoppedError(), failed: (c) => new MachineFailedError(c) },
      });
      rt.start();
      await follower.poll();
      await rt.stop();
      await store.close();
      const blocks = machine.inputs.flatMap((i) => (i.type === 'block_connected' ? [i] : []));
      // each carries the follower's tip: the first is replayed history, the second the tip
      for (const b of blocks) expect(b.tip).toBe(at.height + 2);
      return blocks.map((b) => b.height);
    };
    expect(await heights({}, { height: at.height, hash: at.hash })).toEqual([at.height + 1, at.height + 2]);
    expect(await heights({}, null)).toEqual([]); // a new machine starts at the tip
    expect(await heights({ from: 'tip' }, { height: at.height, hash: at.hash })).toEqual([]);
  });
});
