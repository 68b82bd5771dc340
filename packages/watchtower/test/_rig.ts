// Test harness: a tower on SimChain with the chain's block follower, an in-memory store that applies
// persist operations the way persist does (put replaces by primary key, delete removes), the Node
// runner, and helpers to mine block by block, fund the tower's fee wallet, and make synthetic
// trigger/response pairs (a key-path coin spent by a version-3 response with a P2A anchor).
import { schnorr } from '@noble/curves/secp256k1.js';
import {
  BlockFollower,
  encodeTx as chainEncodeTx,
  createTx,
  FAUCET_SCRIPT,
  fromDisplayHex,
  SimChain,
  type SimChainOptions,
} from '@superscalar/chain';
import { equalBytes, toHex } from '@superscalar/core';
import { Bip86Account } from '@superscalar/keys';
import { type Op, TABLE_BY_NAME, type TableName, type Tables } from '@superscalar/persist';
import {
  decodeTx,
  encodeTx,
  P2A_SCRIPT,
  TaprootSighasher,
  type Tx,
  txidBytes,
  txidOf,
} from '@superscalar/tx';
import {
  type Commit,
  type FeePolicy,
  openTower,
  storeEntrySource,
  type TowerEvent,
  type Watchtower,
} from '../src/index.js';
import { TowerRunner } from '../src/node/index.js';

export const MNEMONIC =
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';

export function account(n: number): Bip86Account {
  return Bip86Account.fromMnemonic(MNEMONIC, { network: 'regtest', account: n });
}

/** The tower's fee-wallet account in these tests. */
export const TOWER_ACCOUNT = 9;

function keyOf(table: TableName, row: Record<string, unknown>): string {
  const spec = TABLE_BY_NAME.get(table);
  if (spec === undefined) throw new Error(`unknown table ${table}`);
  return spec.key
    .map((f) => {
      const v = row[f];
      return v instanceof Uint8Array ? toHex(v) : String(v);
    })
    .join('|');
}

/** The subset of persist's `Store` the tower reads, in memory. */
export class MemoryStore {
  readonly tables = new Map<string, Map<string, Record<string, unknown>>>();
  updates = 0;
  /** The journal (`event` operations), in commit order. */
  readonly journal: { kind: string; payload: Uint8Array }[] = [];
  /** The next commit fails (nothing of it applied), as a refused update would. */
  failNext = false;
  readonly commit: Commit = async (ops) => {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('injected persist failure');
    }
    this.apply(ops);
  };
  apply(ops: readonly Op[]): void {
    this.updates++;
    for (const op of ops) {
      if (op.op === 'event') {
        this.journal.push({ kind: op.kind, payload: op.payload });
        continue;
      }
      let t = this.tables.get(op.table);
      if (t === undefined) {
        t = new Map();
        this.tables.set(op.table, t);
      }
      if (op.op === 'put') t.set(keyOf(op.table, op.row as never), { ...op.row });
      else t.delete(keyOf(op.table, op.key as never));
    }
  }
  async list<T extends TableName>(table: T, where: Partial<Tables[T]> = {}): Promise<Tables[T][]> {
    const rows = [...(this.tables.get(table)?.values() ?? [])];
    return rows.filter((r) =>
      Object.entries(where).every(([k, v]) => {
        const x = r[k];
        return v instanceof Uint8Array ? x instanceof Uint8Array && equalBytes(x, v) : x === v;
      }),
    ) as unknown as Tables[T][];
  }
  async get<T extends TableName>(table: T, key: Record<string, unknown>): Promise<Tables[T] | undefined> {
    return this.tables.get(table)?.get(keyOf(table, key)) as unknown as Tables[T] | undefined;
  }
  count(table: TableName): number {
    return this.tables.get(table)?.size ?? 0;
  }
}

export interface Rig {
  readonly chain: SimChain;
  readonly store: MemoryStore;
  readonly follower: BlockFollower;
  tower: Watchtower;
  runner: TowerRunner;
  readonly events: TowerEvent[];
  /** Txids of every parent the runner submitted (alone or in a package), in order. */
  readonly submitted: string[];
  /** Polls the follower; throws the first subscriber failure. */
  poll(): Promise<void>;
  /** Mines `n` blocks one at a time, polling after each (the tower reacts block by block). */
  mine(n?: number, options?: { empty?: boolean }): Promise<void>;
  /** Commits entry operations as the role would, then lets the tower index them. */
  add(change: { ops: readonly Op[] }): Promise<void>;
  eventsOf<T extends TowerEvent['type']>(type: T): Extract<TowerEvent, { type: T }>[];
  /** Restarts the tower from the store (a new process's worth of memory). */
  restart(): Promise<void>;
}

export interface RigOptions {
  readonly chain?: SimChain;
  readonly chainOptions?: SimChainOptions;
  readonly policy?: Partial<FeePolicy>;
  /** Fee coins of `feeCoinValue` funded into the tower's wallet up front. */
  readonly feeCoins?: number;
  readonly feeCoinValue?: bigint;
  readonly index?: boolean;
  /** Journal the tower's events into the store (`WatchtowerOptions.journal`). */
  readonly journal?: boolean;
}

export async function towerRig(o: RigOptions = {}): Promise<Rig> {
  const chain = o.chain ?? new SimChain({ feeRates: { cpfp: 2_000, urgent: 10_000 }, ...o.chainOptions });
  if (chain.height < 101) chain.mineSync(101 - chain.height);
  const store = new MemoryStore();
  const follower = new BlockFollower(chain);
  const events: TowerEvent[] = [];
  const submitted: string[] = [];
  const port = {
    feeRate: (p: Parameters<SimChain['feeRate']>[0]) => chain.feeRate(p),
    broadcast: (tx: Uint8Array) => {
      submitted.push(txidOf(decodeTx(tx)));
      return chain.broadcast(tx);
    },
    broadcastPackage: (parent: Uint8Array, child: Uint8Array) => {
      submitted.push(txidOf(decodeTx(parent)));
      return chain.broadcastPackage(parent, child);
    },
  };
  const birthHeight = chain.height + 1;
  const open = () =>
    openTower({
      store,
      commit: store.commit,
      account: account(TOWER_ACCOUNT),
      birthHeight,
      ...(o.policy === undefined ? {} : { policy: o.policy }),
      ...(o.index === undefined ? {} : { index: o.index }),
      ...(o.journal === undefined ? {} : { journal: o.journal }),
    });
  const startRunner = async (tower: Watchtower) => {
    const runner = new TowerRunner({
      tower,
      follower,
      chain: port,
      entries: storeEntrySource(store),
      commit: store.commit,
      onEvent: (e) => {
        events.push(e);
      },
      reopen: open,
    });
    await runner.start();
    return runner;
  };
  const tower = await open();
  const r: Rig = {
    chain,
    store,
    follower,
    tower,
    runner: await startRunner(tower),
    events,
    submitted,
    async poll() {
      const rep = await follower.poll();
      if (rep.failures.length > 0) throw rep.failures[0];
    },
    async mine(n = 1, options = {}) {
      for (let i = 0; i < n; i++) {
        chain.mineSync(1, options.empty ? { empty: true } : {});
        await r.poll();
      }
    },
    async add(change) {
      store.apply(change.ops);
      r.tower.ingest(change.ops);
      await r.runner.tick();
    },
    eventsOf(type) {
      return events.filter((e) => e.type === type) as never;
    },
    async restart() {
      r.runner.stop();
      r.tower = await open();
      r.runner = await startRunner(r.tower);
    },
  };
  const coins = o.feeCoins ?? 4;
  for (let i = 0; i < coins; i++) {
    const a = r.tower.wallet.newAddress();
    store.apply(a.ops);
    chain.fundSync(a.script, o.feeCoinValue ?? 100_000n);
  }
  await r.poll();
  return r;
}

/** A synthetic trigger and its response (see the module comment). */
export interface Synthetic {
  /** Version 2, confirmed when mined: its output 0 is what the response spends. */
  readonly trigger: Uint8Array;
  readonly triggerTxid: string;
  /** Version 3, zero fee, `[payout, P2A 240]`, key-path signed; nSequence = `relLock` (0: RBF). */
  readonly response: Uint8Array;
  readonly responseTxid: string;
  readonly payoutScript: Uint8Array;
}

let synthCounter = 0;

/** The key whose coin the `n`-th synthetic trigger spends. */
export function syntheticKey(n: number) {
  return account(7).deriveSecret(0, n);
}

/**
 * The `n`-th synthetic trigger and response, from a confirmed `coin` paying `syntheticKey(n)`: the
 * trigger spends it (paying 1,000 sats of fee), the response spends the trigger's output 0.
 */
export function syntheticFrom(
  coin: { readonly txid: string; readonly vout: number; readonly amount: bigint },
  n: number,
  o: { relLock?: number } = {},
): Synthetic {
  const k = syntheticKey(n);
  const dest = account(8).deriveKey(0, n).scriptPubKey;
  const amount = coin.amount - 1_000n;
  const sign = (tx: Tx, value: bigint) =>
    schnorr.sign(
      new TaprootSighasher(tx, [{ value, script: k.scriptPubKey }]).sighash(0),
      k.tweakedSecretKey,
      new Uint8Array(32),
    );
  const trig: Tx = {
    version: 2,
    locktime: 0,
    inputs: [{ txidBytes: txidBytes(coin.txid), vout: coin.vout, sequence: 0xfffffffd }],
    outputs: [{ value: amount, script: k.scriptPubKey }],
  };
  const trigger = encodeTx(trig, [[sign(trig, coin.amount)]]);
  const triggerTxid = txidOf(trig);
  const rel = o.relLock ?? 0;
  const resp: Tx = {
    version: 3,
    locktime: 0,
    inputs: [{ txidBytes: txidBytes(triggerTxid), vout: 0, sequence: rel === 0 ? 0xfffffffd : rel }],
    outputs: [
      { value: amount - 240n, script: dest },
      { value: 240n, script: P2A_SCRIPT },
    ],
  };
  const response = encodeTx(resp, [[sign(resp, amount)]]);
  return { trigger, triggerTxid, response, responseTxid: txidOf(resp), payoutScript: dest };
}

/** Funds a coin for a fresh key and builds a trigger spending it and a response spending the trigger. */
export function synthetic(chain: SimChain, o: { relLock?: number; amount?: bigint } = {}): Synthetic {
  const n = synthCounter++;
  const coin = chain.fundSync(syntheticKey(n).scriptPubKey, (o.amount ?? 50_000n) + 1_000n);
  return syntheticFrom(coin, n, o);
}

/**
 * Someone else's CPFP child of `parent` (a confirmed faucet coin, `chain.fundSync(FAUCET_SCRIPT, …)`,
 * witness `[OP_TRUE]`, paying `fee` in all): what a competitor (or a pinning attempt through the
 * public anchor) broadcasts.
 */
export function competitorChild(
  parent: Uint8Array,
  coin: { txid: string; vout: number; amount: bigint },
  fee: bigint,
): Uint8Array {
  const p = decodeTx(parent);
  const tx = createTx({
    version: 3,
    locktime: 0,
    inputs: [
      { prevTxid: fromDisplayHex(txidOf(p)), vout: p.outputs.length - 1, sequence: 0xfffffffd, witness: [] },
      {
        prevTxid: fromDisplayHex(coin.txid),
        vout: coin.vout,
        sequence: 0xfffffffd,
        witness: [Uint8Array.of(0x51)],
      },
    ],
    outputs: [{ value: coin.amount + 240n - fee, script: FAUCET_SCRIPT }],
  });
  return chainEncodeTx(tx);
}
