/**
 * The client's stored records: `blobs` rows under `client/…`, versioned, nothing secret (keys come
 * from the keychain by factory index; secret nonces never leave memory). What a client stores per
 * factory is O(depth) plus the proposal and the distribution (DESIGN §4): the proposal and the
 * signatures of its own path and distribution transactions, as factory-tree's O(depth)
 * `ClientFactoryRecord` (`encodeClientFactory`), from which `replayClientFactory` rebuilds its path.
 *
 * | key | version | content |
 * |---|---|---|
 * | `client/meta` | 1 | JSON: next factory index, chain tip |
 * | `client/reg/<factoryIndex>` | 1 | JSON: a registration (terms, status, grant) |
 * | `client/f/<factoryId>` | 1 | JSON: phase, attempt, funding seen/confirmed (small, rewritten per step) |
 * | `client/f/<factoryId>/r` | 1 | JSON: factory index, client index, the unsigned funding transaction, and the `ClientFactoryRecord` bytes |
 * | `client/f/<factoryId>/k` | 1 | JSON: the cooperative close — the close it holds signed (raw transaction), its confirmation |
 * | `client/f/<factoryId>/k/<attempt>` | 1 | JSON: a close attempt it agreed to — the LSP's `close_propose` (wire bytes), its own balance, the txid — written once, before its `close_nonce` |
 * | `client/f/<factoryId>/g/<kickoffTxid>` | 1 | raw bytes: a kickoff instance a carry retired, its newest signed state (`towerRetired.ts`) |
 * | `client/c/<channelId>` | poon-dryja's `CHANNEL_STATE_VERSION` | the channel's `encodeChannelState` |
 * | `client/c/<channelId>/<key>` | 1 | records the channel keeps with its state |
 *
 * @module
 */
import { fromHex, toHex } from '@superscalar/core';
import {
  type ClientFactoryRecord,
  decodeClientFactory,
  encodeClientFactory,
} from '@superscalar/factory-tree';
import type { BlobRecord, Op } from '@superscalar/persist';
import { type ClosePropose, decodeMessage, encodeMessage } from '@superscalar/wire';
import { DecodeError } from './errors.js';

export const RECORD_VERSION = 1;
export const META_KEY = 'client/meta';
export const regKey = (index: number) => `client/reg/${index}`;
export const factoryKey = (idHex: string) => `client/f/${idHex}`;
export const recordKey = (idHex: string) => `client/f/${idHex}/r`;
export const channelKey = (idHex: string) => `client/c/${idHex}`;
export const closeKey = (idHex: string) => `client/f/${idHex}/k`;
export const agreedKey = (idHex: string, attempt: number) => `client/f/${idHex}/k/${attempt}`;

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

/** @internal */
export interface StoredMeta {
  readonly nextFactoryIndex: number;
  readonly tip: { readonly height: number; readonly hash: string } | null;
}

/** Status of a registration. */
export type RegistrationStatus = 'pending' | 'granted' | 'refused' | 'used';

/** @internal */
export interface StoredRegistration {
  readonly factoryIndex: number;
  readonly factoryKey: Uint8Array;
  readonly capacity: bigint;
  readonly balance: bigint;
  readonly profile?: { readonly contribution: bigint; readonly uptime: number; readonly timezone: number };
  readonly status: RegistrationStatus;
  /** The granted amounts, once granted. */
  readonly granted?: {
    readonly capacity: bigint;
    readonly balance: bigint;
    /** The LSP's routing terms (the invoice's route hint); absent in records of earlier releases. */
    readonly feeBaseMsat?: number;
    readonly feeProportionalMillionths?: number;
  };
}

/** The client's phases of a factory (`closing`/`closed` belong to the cooperative close). */
export type ClientFactoryPhase =
  | 'ceremony'
  | 'funded'
  | 'open'
  | 'aborted'
  | 'abandoned'
  | 'closing'
  | 'closed';

/** @internal */
export interface StoredFactoryState {
  readonly phase: ClientFactoryPhase;
  readonly attempt: number;
  readonly fundedSeen: boolean;
  readonly fundingConfirmedAt: number | null;
}

/** @internal */
export interface StoredClientRecord {
  readonly factoryIndex: number;
  readonly clientIndex: number;
  readonly fundingTx: Uint8Array;
  readonly record: ClientFactoryRecord;
}

function json(v: unknown): Uint8Array {
  return enc.encode(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));
}

function blob(key: string, data: Uint8Array, version = RECORD_VERSION): Op {
  return { op: 'put', table: 'blobs', row: { key, version, data, secret: false } };
}

/** @internal */
export function deleteBlob(key: string): Op {
  return { op: 'delete', table: 'blobs', key: { key } };
}

function parse(b: BlobRecord): Record<string, unknown> {
  if (b.version > RECORD_VERSION)
    throw new DecodeError(b.key, `version ${b.version} is newer than this release reads (${RECORD_VERSION})`);
  let v: unknown;
  try {
    v = JSON.parse(dec.decode(b.data));
  } catch (cause) {
    throw new DecodeError(b.key, 'not UTF-8 JSON', { cause });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new DecodeError(b.key, 'not a JSON object');
  return v as Record<string, unknown>;
}

function need<T>(b: BlobRecord, o: Record<string, unknown>, f: string, ok: (x: unknown) => boolean): T {
  if (!ok(o[f])) throw new DecodeError(b.key, `field ${f} missing or malformed`);
  return o[f] as T;
}
const isInt = (x: unknown) => Number.isSafeInteger(x);
const isHex = (x: unknown) => typeof x === 'string' && /^([0-9a-f]{2})*$/.test(x);
const isDec = (x: unknown) => typeof x === 'string' && /^-?\d+$/.test(x);

/** @internal */
export function putMeta(m: StoredMeta): Op {
  return blob(META_KEY, json(m));
}

/** @internal */
export function readMeta(b: BlobRecord): StoredMeta {
  const o = parse(b);
  const tip = o.tip as StoredMeta['tip'];
  if (tip !== null && (typeof tip !== 'object' || !isInt(tip?.height) || typeof tip?.hash !== 'string'))
    throw new DecodeError(b.key, 'field tip malformed');
  return { nextFactoryIndex: need(b, o, 'nextFactoryIndex', isInt), tip: tip ?? null };
}

/** @internal */
export function putRegistration(r: StoredRegistration): Op {
  return blob(regKey(r.factoryIndex), json({ ...r, factoryKey: toHex(r.factoryKey) }));
}

const STATUSES: readonly RegistrationStatus[] = ['pending', 'granted', 'refused', 'used'];

/** @internal */
export function readRegistration(b: BlobRecord): StoredRegistration {
  const o = parse(b);
  const p = o.profile as Record<string, unknown> | undefined;
  const g = o.granted as Record<string, unknown> | undefined;
  return {
    factoryIndex: need(b, o, 'factoryIndex', isInt),
    factoryKey: fromHex(need(b, o, 'factoryKey', isHex)),
    capacity: BigInt(need<string>(b, o, 'capacity', isDec)),
    balance: BigInt(need<string>(b, o, 'balance', isDec)),
    ...(p === undefined || p === null
      ? {}
      : {
          profile: {
            contribution: BigInt(need<string>(b, p, 'contribution', isDec)),
            uptime: need(b, p, 'uptime', (x) => typeof x === 'number'),
            timezone: need(b, p, 'timezone', (x) => typeof x === 'number'),
          },
        }),
    status: need(b, o, 'status', (x) => STATUSES.includes(x as RegistrationStatus)),
    ...(g === undefined || g === null
      ? {}
      : {
          granted: {
            capacity: BigInt(need<string>(b, g, 'capacity', isDec)),
            balance: BigInt(need<string>(b, g, 'balance', isDec)),
            ...(typeof g.feeBaseMsat === 'number' && typeof g.feeProportionalMillionths === 'number'
              ? { feeBaseMsat: g.feeBaseMsat, feeProportionalMillionths: g.feeProportionalMillionths }
              : {}),
          },
        }),
  };
}

const PHASES: readonly ClientFactoryPhase[] = [
  'ceremony',
  'funded',
  'open',
  'aborted',
  'abandoned',
  'closing',
  'closed',
];

/** @internal */
export function putFactoryState(idHex: string, s: StoredFactoryState): Op {
  return blob(factoryKey(idHex), json(s));
}

/** @internal */
export function readFactoryState(b: BlobRecord): StoredFactoryState {
  const o = parse(b);
  return {
    phase: need(b, o, 'phase', (x) => PHASES.includes(x as ClientFactoryPhase)),
    attempt: need(b, o, 'attempt', isInt),
    fundedSeen: need(b, o, 'fundedSeen', (x) => typeof x === 'boolean'),
    fundingConfirmedAt: need(b, o, 'fundingConfirmedAt', (x) => x === null || isInt(x)),
  };
}

/** @internal */
export function putRecord(idHex: string, r: StoredClientRecord): Op {
  return blob(
    recordKey(idHex),
    json({
      factoryIndex: r.factoryIndex,
      clientIndex: r.clientIndex,
      fundingTx: toHex(r.fundingTx),
      record: toHex(encodeClientFactory(r.record)),
    }),
  );
}

/** @internal */
export function readRecord(b: BlobRecord): StoredClientRecord {
  const o = parse(b);
  let record: ClientFactoryRecord;
  try {
    record = decodeClientFactory(fromHex(need(b, o, 'record', isHex)));
  } catch (cause) {
    throw new DecodeError(b.key, 'the factory record does not decode', { cause });
  }
  return {
    factoryIndex: need(b, o, 'factoryIndex', isInt),
    clientIndex: need(b, o, 'clientIndex', isInt),
    fundingTx: fromHex(need(b, o, 'fundingTx', isHex)),
    record,
  };
}

/** @internal */
export function putChannelState(idHex: string, version: number, state: Uint8Array): Op {
  return blob(channelKey(idHex), state, version);
}

/** @internal */
export function putChannelBlob(idHex: string, key: string, bytes: Uint8Array): Op {
  return blob(`${channelKey(idHex)}/${key}`, bytes);
}

/** @internal */
export interface StoredAgreedClose {
  readonly attempt: number;
  readonly message: ClosePropose;
  readonly balance: bigint;
  readonly txid: string;
}

/** @internal */
export function putAgreedClose(idHex: string, a: StoredAgreedClose): Op {
  return blob(
    agreedKey(idHex, a.attempt),
    json({ attempt: a.attempt, propose: toHex(encodeMessage(a.message)), balance: a.balance, txid: a.txid }),
  );
}

/** @internal */
export function readAgreedClose(b: BlobRecord): StoredAgreedClose {
  const o = parse(b);
  let message: ClosePropose;
  try {
    const m = decodeMessage(fromHex(need(b, o, 'propose', isHex)));
    if (m.type !== 'close_propose') throw new Error(`a ${m.type}`);
    message = m;
  } catch (cause) {
    throw new DecodeError(b.key, 'the close_propose does not decode', { cause });
  }
  return {
    attempt: need(b, o, 'attempt', isInt),
    message,
    balance: BigInt(need<string>(b, o, 'balance', isDec)),
    txid: need(b, o, 'txid', isHex),
  };
}

/** @internal */
export interface StoredClose {
  readonly signed: { readonly attempt: number; readonly txid: string; readonly raw: Uint8Array } | null;
  readonly confirmed: { readonly txid: string; readonly height: number } | null;
}

/** @internal */
export function putClose(idHex: string, c: StoredClose): Op {
  return blob(
    closeKey(idHex),
    json({
      signed: c.signed === null ? null : { ...c.signed, raw: toHex(c.signed.raw) },
      confirmed: c.confirmed,
    }),
  );
}

/** @internal */
export function readClose(b: BlobRecord): StoredClose {
  const o = parse(b);
  const s = o.signed as Record<string, unknown> | null;
  const c = o.confirmed as Record<string, unknown> | null;
  if (s !== null && (typeof s !== 'object' || s === undefined))
    throw new DecodeError(b.key, 'field signed malformed');
  if (c !== null && (typeof c !== 'object' || c === undefined))
    throw new DecodeError(b.key, 'field confirmed malformed');
  return {
    signed:
      s === null
        ? null
        : {
            attempt: need(b, s, 'attempt', isInt),
            txid: need(b, s, 'txid', isHex),
            raw: fromHex(need(b, s, 'raw', isHex)),
          },
    confirmed: c === null ? null : { txid: need(b, c, 'txid', isHex), height: need(b, c, 'height', isInt) },
  };
}
