// RoleRuntime's `spends` on `block_connected` (preimages from the chain, BOLT 5): of a real SimChain
// block, the runtime hands exactly the spends of the outpoints the machine watches at that block
// (asked once per block), with the spending txid, input index and witness; nothing (no `spends` key)
// for a block that spends none of them, for a machine that watches nothing, or a disconnected block.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockFollower, SimChain } from '@superscalar/chain';
import { EventQueue, Sequencer, type Store } from '@superscalar/persist';
import { openSqliteStore } from '@superscalar/persist/sqlite';
import { decodeTx, displayHex, type OutPoint } from '@superscalar/tx';
import { afterAll, describe, expect, it } from 'vitest';
import type { Action, RuntimeInput } from '../src/index.js';
import { MachineFailedError, StoppedError } from '../src/index.js';
import { RoleRuntime } from '../src/runtime/index.js';

const dir = mkdtempSync(join(tmpdir(), 'client-spends-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let k = 0;

/** A machine that records its block inputs and reports the outpoints a test sets. */
class Watching {
  readonly blocks: RuntimeInput[] = [];
  readonly nodeId = '02'.padEnd(66, '2');
  watched: OutPoint[] = [];
  asked = 0;
  handle(input: RuntimeInput): readonly Action[] {
    if (input.type === 'block_connected' || input.type === 'block_disconnected') this.blocks.push(input);
    return [];
  }
}
class WatchingStub extends Watching {
  watchedOutpoints(): readonly OutPoint[] {
    this.asked++;
    return this.watched;
  }
}

async function node(chain: SimChain, machine: Watching) {
  await chain.mine(101); // the faucet's coinbase matures: each fund below is one block
  const store: Store = await openSqliteStore({
    path: join(dir, `s${k++}.db`),
    sealingKey: new Uint8Array(32).fill(5),
  });
  const sequencer = await Sequencer.open(store);
  const follower = new BlockFollower(chain);
  const rt = new RoleRuntime<never>({
    machine,
    sequencer,
    events: await EventQueue.open(sequencer),
    chain: { follower, pollIntervalMs: 0 },
    errors: { stopped: () => new StoppedError(), failed: (c) => new MachineFailedError(c) },
  });
  rt.start();
  const poll = async () => {
    const r = await follower.poll();
    if (r.failures.length > 0) throw r.failures[0];
  };
  await poll(); // from the tip
  return {
    poll,
    async close() {
      await rt.stop();
      await store.close();
    },
  };
}

/** The inputs of a confirmed transaction, with their witnesses. */
async function inputsOf(chain: SimChain, txid: string) {
  return decodeTx((await chain.getTransaction(txid)).tx).inputs.map((i) => ({
    outpoint: { txid: displayHex(i.txidBytes), vout: i.vout },
    witness: i.witness ?? [],
  }));
}

const SCRIPT = Uint8Array.of(0x51, 0x20, ...new Uint8Array(32).fill(7));

describe('RoleRuntime: block_connected.spends', () => {
  it('hands the spends of the watched outpoints only, from the block itself, asking once per block', async () => {
    const chain = new SimChain();
    const machine = new WatchingStub();
    const n = await node(chain, machine);
    const f = await chain.fund(SCRIPT, 10_000n); // one block, its funding tx spending faucet coins
    const ins = await inputsOf(chain, f.txid);
    expect(ins.length).toBeGreaterThan(0);
    const last = ins.length - 1;
    const never = { txid: 'cd'.repeat(32), vout: 0 };
    // watch the funding tx's last input, an outpoint no block spends, and the new (unspent) output
    machine.watched = [never, (ins[last] as (typeof ins)[number]).outpoint, { txid: f.txid, vout: f.vout }];
    machine.asked = 0;
    await n.poll();
    expect(machine.asked).toBe(1);
    expect(machine.blocks).toHaveLength(1);
    expect(machine.blocks[0]).toMatchObject({ type: 'block_connected', height: f.height });
    expect((machine.blocks[0] as Extract<RuntimeInput, { type: 'block_connected' }>).spends).toEqual([
      { outpoint: ins[last]?.outpoint, txid: f.txid, vin: last, witness: ins[last]?.witness },
    ]);

    // a block spending none of them: no spends key at all
    await chain.mine(1);
    await n.poll();
    expect(machine.asked).toBe(2);
    expect(machine.blocks[1]).toMatchObject({ type: 'block_connected', height: f.height + 1 });
    expect('spends' in (machine.blocks[1] as object)).toBe(false);

    // a disconnected block carries none either, nor does the block that replaces it if unwatched
    machine.watched = [];
    await chain.invalidateBlock(await chain.blockHash(chain.height));
    await chain.mine(1);
    await n.poll();
    expect(machine.blocks.slice(2).map((b) => b.type)).toEqual(['block_disconnected', 'block_connected']);
    expect(machine.blocks.slice(2).every((b) => !('spends' in b))).toBe(true);
    await n.close();
  });

  it('a machine without watchedOutpoints gets no spends', async () => {
    const chain = new SimChain();
    const machine = new Watching();
    const n = await node(chain, machine);
    await chain.fund(SCRIPT, 10_000n);
    await n.poll();
    expect(machine.blocks).toHaveLength(1);
    expect('spends' in (machine.blocks[0] as object)).toBe(false);
    await n.close();
  });
});
