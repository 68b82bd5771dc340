/**
 * The wallet's I/O glue, still without Node built-ins: subscribing it to the chain's block follower
 * and broadcasting its pending transactions. Each takes a `commit` callback — the caller's runtime
 * puts the operations in its next store update and resolves once that update is durable (DESIGN §4:
 * one sequencer per store) — and acts only after it resolved (persist before you act).
 *
 * If `commit` fails, the wallet's memory is ahead of the store: reload it with `Wallet.load` before
 * going on (the follower will deliver the event again).
 *
 * @module
 */
import {
  type BlockFollower,
  type Broadcaster,
  type ChainSource,
  NotFound,
  type Subscription,
  TxRejected,
} from '@superscalar/chain';
import type { Op } from '@superscalar/persist';
import type { OutPoint } from '@superscalar/tx';
import { CoinSpentError, UnknownTxError, WrongStateError } from './errors.js';
import type { Wallet } from './wallet.js';

/** Makes operations durable in the runtime's update sequence; resolves once they are. */
export type Commit = (ops: readonly Op[]) => Promise<void>;

/**
 * Subscribes `wallet` to `follower`, from its stored checkpoint (or its birth height: a rescan).
 * Every event's operations are committed before the event is accepted.
 */
export function followWallet(options: {
  readonly wallet: Wallet;
  readonly follower: BlockFollower;
  readonly commit: Commit;
  readonly name?: string;
}): Subscription {
  const { wallet, commit } = options;
  return options.follower.subscribe({
    name: options.name ?? `wallet/${wallet.walletId}`,
    from: wallet.followFrom(),
    onEvent: async (event) => {
      const ops = wallet.applyEvent(event);
      if (ops.length > 0) await commit(ops);
    },
  });
}

const MISSING: ReadonlySet<string> = new Set(['missing-inputs', 'bad-txns-inputs-missingorspent']);

/** Whether a broadcast's refusal reason (`TxRejected.reason`) says an input is missing or spent. */
export function isMissingInputs(reason: string): boolean {
  return MISSING.has(reason);
}

/**
 * Broadcasts the wallet's pending transaction `txid`. A rejection for a spent input is resolved
 * against the chain: each input's spender is looked up (`getSpend`), a spend by another transaction
 * is recorded (the wallet's transaction is conflicted, the coin marked spent; committed), and
 * {@link CoinSpentError} is thrown. Other rejections are rethrown as `TxRejected`.
 */
export async function broadcastPending(options: {
  readonly wallet: Wallet;
  readonly chain: ChainSource & Broadcaster;
  readonly txid: string;
  readonly commit: Commit;
}): Promise<string> {
  const { wallet, chain, txid } = options;
  const t = wallet.tx(txid);
  if (t === undefined) throw new UnknownTxError(txid);
  if (t.state !== 'pending' && t.state !== 'confirmed') throw new WrongStateError(txid, t.state, 'broadcast');
  try {
    return await chain.broadcast(t.raw);
  } catch (e) {
    if (TxRejected.isInstance(e) && e.reason === 'txn-already-known') return txid; // already confirmed
    if (!TxRejected.isInstance(e) || !MISSING.has(e.reason)) throw e;
    const spent = await spendElsewhere(options);
    if (spent !== undefined) throw new CoinSpentError(spent.outpoint, spent.txid);
    throw e;
  }
}

/** The first input of `txid` spent by another transaction, recorded (`markSpentElsewhere`, committed). */
async function spendElsewhere(options: {
  readonly wallet: Wallet;
  readonly chain: ChainSource;
  readonly txid: string;
  readonly commit: Commit;
}): Promise<{ outpoint: OutPoint; txid: string } | undefined> {
  const { wallet, chain, txid, commit } = options;
  const t = wallet.tx(txid);
  if (t === undefined) return undefined;
  for (const o of t.inputs) {
    let s: Awaited<ReturnType<typeof chain.getSpend>>;
    try {
      s = await chain.getSpend(o);
    } catch (x) {
      if (NotFound.isInstance(x)) continue; // its transaction is unknown (a parent never sent)
      throw x;
    }
    if (s.spent && s.txid !== txid) {
      const at = s.confirmation === undefined ? {} : { blockHash: s.confirmation.blockHash };
      await commit(wallet.markSpentElsewhere(o, s.txid, at));
      return { outpoint: o, txid: s.txid };
    }
  }
  return undefined;
}

/** What {@link resolveRefusal} found for the wallet's transaction. */
export type RefusalResolution =
  /** An input is spent by `conflictedBy`: the transaction is conflicted, its other coins spendable again. */
  | { readonly state: 'conflicted'; readonly conflictedBy: string }
  /** No input spent elsewhere and the backend holds it nowhere: abandoned, its coins spendable again. */
  | { readonly state: 'abandoned' }
  /** Left as it was: the backend holds it after all, or it was not a pending transaction of the wallet. */
  | { readonly state: 'unchanged' };

/**
 * Resolves the wallet's pending transaction `txid` after somebody else's broadcast of it was refused
 * for a missing or spent input (`missing-inputs`, `bad-txns-inputs-missingorspent`: a role's exit
 * package whose CPFP child it is) — what {@link broadcastPending} does on that refusal, without
 * broadcasting: an input spent by another transaction is recorded (conflicted, against that spend's
 * block), else the transaction is abandoned if the backend knows it nowhere ({@link abandonIfAbsent}).
 * Works after a restart too, when the wallet's recent spends are empty. Every change is committed.
 */
export async function resolveRefusal(options: {
  readonly wallet: Wallet;
  readonly chain: ChainSource;
  readonly txid: string;
  readonly commit: Commit;
}): Promise<RefusalResolution> {
  if (options.wallet.tx(options.txid)?.state !== 'pending') return { state: 'unchanged' };
  const spent = await spendElsewhere(options);
  if (spent !== undefined) return { state: 'conflicted', conflictedBy: spent.txid };
  return (await abandonIfAbsent(options)) ? { state: 'abandoned' } : { state: 'unchanged' };
}

/**
 * Abandons the wallet's pending transaction `txid` (`Wallet.abandonTransaction`) if the backend knows
 * it in neither its mempool nor its chain (`getTransaction` says `NotFound`); returns whether it did.
 * For a transaction refused or evicted long ago, whose inputs should be spendable again.
 */
export async function abandonIfAbsent(options: {
  readonly wallet: Wallet;
  readonly chain: ChainSource;
  readonly txid: string;
  readonly commit: Commit;
}): Promise<boolean> {
  const { wallet, chain, txid, commit } = options;
  try {
    await chain.getTransaction(txid);
    return false;
  } catch (e) {
    if (!NotFound.isInstance(e)) throw e;
  }
  await commit(wallet.abandonTransaction(txid));
  return true;
}

/** Re-broadcasts every pending transaction (after a restart or a reorg); returns what each did. */
export async function rebroadcastPending(options: {
  readonly wallet: Wallet;
  readonly chain: ChainSource & Broadcaster;
  readonly commit: Commit;
}): Promise<{ txid: string; error?: unknown }[]> {
  const out: { txid: string; error?: unknown }[] = [];
  for (const t of options.wallet.pendingBroadcasts()) {
    try {
      await broadcastPending({ ...options, txid: t.txid });
      out.push({ txid: t.txid });
    } catch (error) {
      out.push({ txid: t.txid, error });
    }
  }
  return out;
}
