/**
 * @internal The tower's own records, each one `blobs` row: its meta (`tower/<id>/meta`: birth height
 * and the checkpoint of its last blocks) and one row per active trigger (`tower/<id>/a/<txid>`: the
 * trigger's block and the state of each response — its completed bytes, its CPFP child, its status).
 * Values are versioned JSON (bytes as hex, amounts as decimal strings). Active-trigger rows are
 * sealed at rest: a completed poison carries `s_c`.
 *
 * @module
 */
import { fromHex, toHex } from '@superscalar/core';
import type { BlobRecord, Op } from '@superscalar/persist';
import type { CpfpChild } from './cpfp.js';
import type { EntryKind } from './entries.js';
import { DecodeError } from './errors.js';

/** Format version of the tower's blobs. */
export const TOWER_RECORD_VERSION = 1;

/** A block of the tower's view. */
export interface CheckpointRef {
  readonly height: number;
  readonly hash: string;
  readonly prevHash: string;
}

/** @internal */
export interface TowerMeta {
  readonly birthHeight: number;
  /** The last blocks applied (at most 12), ascending. */
  readonly checkpoint: readonly CheckpointRef[];
}

/** @internal A CPFP child of a response. */
export type ChildState = CpfpChild;

/** @internal Where a response stands. */
export type ResponseStatus =
  | 'waiting'
  | 'no-secret'
  | 'broadcast'
  | 'confirmed'
  | 'lost'
  | 'invalid'
  /** Taken over by its owner (`Watchtower.release`): never sent or re-bumped again. */
  | 'released';

/** @internal One response of an active trigger. */
export interface ResponseState {
  readonly index: number;
  readonly kind: EntryKind;
  readonly txid: string;
  /** The response's bytes; a poison's secret slot is filled once `s_c` is known. */
  raw: Uint8Array;
  /** What the response pays itself (inputs from the trigger − outputs), and its vsize. */
  readonly parentFee: bigint;
  readonly vsize: number;
  readonly anchorVout: number;
  readonly anchorValue: bigint;
  /** The trigger outputs it spends. */
  readonly vouts: readonly number[];
  /** First tip at which it may be broadcast (the mempool judges at tip + 1). */
  readonly dueTip: number;
  /** For a poison: `sha256(s_c)` hex. */
  readonly poisonHash: string | null;
  status: ResponseStatus;
  /** The status before it was confirmed or lost (restored when a reorg undoes that block). */
  before: ResponseStatus | null;
  /** Block of the confirmation (confirmed) or of the conflicting spend (lost). */
  at: { height: number; hash: string } | null;
  spentBy: string | null;
  child: ChildState | null;
  /** Change script of its children (one per response, reused by re-bumps). */
  changeScript: Uint8Array | null;
  bumps: number;
  lastTip: number | null;
  emergency: boolean;
}

/** @internal A confirmed trigger and its responses. */
export interface ActiveTrigger {
  readonly triggerTxid: string;
  readonly factory: string | null;
  readonly height: number;
  readonly hash: string;
  /** The factory's DW step (stale-state responses' emergency rule). */
  readonly dwStep: number | null;
  readonly responses: ResponseState[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => {
    if (typeof x === 'bigint') return { $n: x.toString() };
    if (x instanceof Uint8Array) return { $b: toHex(x) };
    return x;
  });
}

function fromJson(s: string): unknown {
  return JSON.parse(s, (_k, x) => {
    if (x !== null && typeof x === 'object' && typeof x.$n === 'string') return BigInt(x.$n);
    if (x !== null && typeof x === 'object' && typeof x.$b === 'string') return fromHex(x.$b);
    return x;
  });
}

/** @internal Blob-key prefix of tower `towerId`. */
export function towerPrefix(towerId: string): string {
  return `tower/${towerId}/`;
}

/** @internal */
export function metaBlob(towerId: string, meta: TowerMeta): Op {
  return {
    op: 'put',
    table: 'blobs',
    row: {
      key: `${towerPrefix(towerId)}meta`,
      version: TOWER_RECORD_VERSION,
      data: enc.encode(toJson(meta)),
      secret: false,
    },
  };
}

/** @internal */
export function activeKey(towerId: string, triggerTxid: string): string {
  return `${towerPrefix(towerId)}a/${triggerTxid}`;
}

/** @internal */
export function activeBlob(towerId: string, t: ActiveTrigger): Op {
  return {
    op: 'put',
    table: 'blobs',
    row: {
      key: activeKey(towerId, t.triggerTxid),
      version: TOWER_RECORD_VERSION,
      data: enc.encode(toJson(t)),
      secret: true,
    },
  };
}

/** @internal */
export function deleteBlob(key: string): Op {
  return { op: 'delete', table: 'blobs', key: { key } };
}

/** @internal Decodes one of the tower's blobs. */
export function decodeRecord<T>(b: BlobRecord): T {
  if (b.version > TOWER_RECORD_VERSION)
    throw new DecodeError(
      b.key,
      `record version ${b.version} is newer than this release (${TOWER_RECORD_VERSION})`,
    );
  try {
    const v = fromJson(dec.decode(b.data));
    if (typeof v !== 'object' || v === null) throw new Error('not an object');
    return v as T;
  } catch (cause) {
    throw new DecodeError(b.key, 'not a tower record', { cause });
  }
}
