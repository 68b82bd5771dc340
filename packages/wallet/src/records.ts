/**
 * The wallet's records and how they are stored: one `@superscalar/persist` blob per record, keyed
 * `w/<walletId>/<kind>/<id>`, holding a versioned JSON document (bigint amounts as decimal strings,
 * bytes as hex). Nothing here is secret (the keys come from the mnemonic), so blobs are not sealed.
 *
 * Forward compatibility: a reader ignores fields it does not know; a record whose `v` is newer than
 * {@link RECORD_VERSION} is refused with {@link DecodeError} (the store was written by a newer release).
 *
 * @module
 */
import { fromHex, toHex } from '@superscalar/core';
import type { BlobRecord, Op } from '@superscalar/persist';
import type { OutPoint } from '@superscalar/tx';
import { DecodeError } from './errors.js';

/** Format version of every wallet record. */
export const RECORD_VERSION = 1;

/** A coin of the wallet: a P2TR output of one of its BIP86 keys. Structurally a factory-tree `FeeCoin`. */
export interface WalletCoin {
  /** Display-order txid. */
  readonly txid: string;
  readonly vout: number;
  readonly value: bigint;
  /** Its scriptPubKey (P2TR). */
  readonly script: Uint8Array;
  /** BIP86 chain: 0 receive, 1 change. */
  readonly change: 0 | 1;
  /** BIP86 address index. */
  readonly index: number;
  /** Height of the block that confirms it in the wallet's view; null while unconfirmed. */
  readonly height: number | null;
  readonly blockHash: string | null;
  /** The transaction that spends it (pending or confirmed); null while unspent. */
  readonly spentBy: string | null;
  /** Height of the block that confirms the spend; null while the spend is unconfirmed or absent. */
  readonly spentHeight: number | null;
  readonly spentBlockHash: string | null;
}

/**
 * What a tracked transaction is for: the wallet's own (`funding`, `abandon`, `split`, `cpfp`, `send`)
 * or seen in a block (`receive`: pays the wallet; `external`: spends its coins without having been
 * made by this wallet — another wallet of the same seed).
 */
export type WalletTxKind = 'funding' | 'abandon' | 'split' | 'cpfp' | 'send' | 'receive' | 'external';

/**
 * - `built`: unsigned; its inputs are reserved by its owner;
 * - `pending`: signed and recorded before broadcast; settled from blocks;
 * - `confirmed`: in a block of the wallet's view;
 * - `conflicted`: a transaction spending one of its inputs (the wallet's, or another's such as a P2A
 *   anchor) confirmed — found in a block, at `recordBroadcast` from the recent blocks, or from a
 *   refused broadcast; its wallet inputs are spendable again, its outputs dropped (pending again if
 *   that block is disconnected);
 * - `abandoned`: given up — before signing (`abandon`), or pending but held by no backend
 *   (`abandonTransaction`); its inputs were released. A block that confirms it after all records it.
 */
export type WalletTxState = 'built' | 'pending' | 'confirmed' | 'conflicted' | 'abandoned';

/** A transaction the wallet tracks. */
export interface WalletTx {
  readonly txid: string;
  readonly kind: WalletTxKind;
  readonly state: WalletTxState;
  /** The transaction: signed once `pending`; without witnesses while `built`. */
  readonly raw: Uint8Array;
  /** Its inputs (what conflicts are found by). */
  readonly inputs: readonly OutPoint[];
  /** Who reserved its inputs (a factory id, `fee-coins`…); null for transactions seen in blocks. */
  readonly owner: string | null;
  /** Fee paid, when the wallet knows every input's value. */
  readonly fee: bigint | null;
  /** A funding transaction's output index for the factory. */
  readonly fundingVout: number | null;
  /** For an `abandon` double-spend or a re-bumped CPFP child (`recordBroadcast`'s `replaces`): the txid it replaces. */
  readonly replaces: string | null;
  readonly height: number | null;
  readonly blockHash: string | null;
  /** The confirmed transaction that conflicted it, and its block. */
  readonly conflictedBy: string | null;
  readonly conflictBlockHash: string | null;
}

/** A coin locked for a purpose. Never selected by anyone else until released or expired. */
export interface Reservation {
  readonly txid: string;
  readonly vout: number;
  /** Who holds it: a factory id, an exit, `fee-coins`… */
  readonly owner: string;
  /** The reservation lapses once the wallet's tip reaches this height. */
  readonly expiresAtHeight: number;
}

/** A block of the wallet's view. */
export interface CheckpointRef {
  readonly height: number;
  readonly hash: string;
  /** The parent's hash, when the block was seen connected (lets a disconnect step below the list). */
  readonly prevHash?: string;
}

/** The wallet's own settings and position. */
export interface WalletMeta {
  readonly network: string;
  readonly account: number;
  readonly gapLimit: number;
  readonly birthHeight: number;
  /** Next unused index per chain [receive, change]. */
  readonly nextIndex: readonly [number, number];
  /** Highest index seen paid on chain, per chain (-1: none). */
  readonly usedIndex: readonly [number, number];
  /** The last blocks of the wallet's view, ascending (the follower's resume point). */
  readonly checkpoint: readonly CheckpointRef[];
}

/** Key prefix of one wallet's blobs. */
export function walletPrefix(walletId: string): string {
  return `w/${walletId}/`;
}

export const coinKey = (o: OutPoint): string => `${o.txid}:${o.vout}`;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function enc(v: unknown): Json {
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Uint8Array) return `0x${toHex(v)}`;
  if (Array.isArray(v)) return v.map(enc);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) o[k] = enc(x);
    return o;
  }
  return v as Json;
}

function dec(v: Json): unknown {
  if (typeof v === 'string') {
    if (/^-?\d+n$/.test(v)) return BigInt(v.slice(0, -1));
    if (v.startsWith('0x')) return fromHex(v.slice(2));
    return v;
  }
  if (Array.isArray(v)) return v.map(dec);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = dec(x);
    return o;
  }
  return v;
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder('utf-8', { fatal: true });

/** Record kinds by key segment. */
export type RecordKind = 'm' | 'c' | 't' | 'r';

/** The put operation of one record. */
export function putOp(walletId: string, kind: RecordKind, id: string, record: object): Op {
  const data = utf8.encode(JSON.stringify(enc(record)));
  const row: BlobRecord = {
    key: `${walletPrefix(walletId)}${kind}/${id}`,
    version: RECORD_VERSION,
    data,
    secret: false,
  };
  return { op: 'put', table: 'blobs', row };
}

/** The delete operation of one record. */
export function deleteOp(walletId: string, kind: RecordKind, id: string): Op {
  return { op: 'delete', table: 'blobs', key: { key: `${walletPrefix(walletId)}${kind}/${id}` } };
}

/** Decodes one of this wallet's blobs into its kind, id and record. */
export function decodeBlob(
  walletId: string,
  blob: BlobRecord,
): { kind: RecordKind; id: string; record: unknown } {
  const prefix = walletPrefix(walletId);
  const rest = blob.key.slice(prefix.length);
  const kind = rest.slice(0, 1);
  if (!blob.key.startsWith(prefix) || rest[1] !== '/' || !['m', 'c', 't', 'r'].includes(kind))
    throw new DecodeError(blob.key, 'not a record of this wallet');
  if (blob.version > RECORD_VERSION)
    throw new DecodeError(
      blob.key,
      `record version ${blob.version} is newer than this release (${RECORD_VERSION})`,
    );
  try {
    return {
      kind: kind as RecordKind,
      id: rest.slice(2),
      record: dec(JSON.parse(utf8d.decode(blob.data)) as Json),
    };
  } catch (cause) {
    throw new DecodeError(blob.key, 'undecodable record', { cause });
  }
}
