/**
 * The LSP's stored records (roles memo §1 "State and restore"): `blobs` rows under `lsp/…`, each a
 * versioned document. Nothing secret is stored (keys come from the keychain by index; secret nonces
 * never leave memory), so no blob is sealed.
 *
 * | key | version | content |
 * |---|---|---|
 * | `lsp/meta` | 1 | JSON: next factory index, chain tip |
 * | `lsp/reg/<factoryKey>` | 1 | JSON: a registration (peer node id, terms, status) |
 * | `lsp/f/<factoryId>` | 1 | JSON: a factory's phase, step, attempt and counters (small, rewritten per step) |
 * | `lsp/f/<factoryId>/p` | 1 | JSON: factory index, wallet owner, participants' node ids, the unsigned funding transaction and the proposal (factory-tree's `encodeFactory`) — written once |
 * | `lsp/f/<factoryId>/s` | 1 | the ceremony's signatures, 64 bytes each in job order (tree, then distribution) — written once |
 * | `lsp/f/<factoryId>/k` | 1 | JSON: the cooperative close — who asked, when, its deadline, the last attempt number used, every attempt proposed (txid, tip, fee rate, balances), every signed close (raw transaction, signature), the confirmation — rewritten per attempt |
 * | `lsp/c/<channelId>` | poon-dryja's `CHANNEL_STATE_VERSION` | the channel's `encodeChannelState` |
 * | `lsp/c/<channelId>/<key>` | 1 | records the channel asks to keep with its state (watchtower entries) |
 *
 * JSON documents carry bigints as decimal strings and bytes as hex. A reader refuses a newer version
 * (`DecodeError`) and ignores fields it does not know.
 *
 * @module
 */
import { fromHex, toHex } from '@superscalar/core';
import { decodeFactory, encodeFactory, type Proposal } from '@superscalar/factory-tree';
import type { BlobRecord, Op } from '@superscalar/persist';
import type { CloseAttempt, SignedClose } from './_core.js';
import { DecodeError } from './errors.js';

export const RECORD_VERSION = 1;
export const META_KEY = 'lsp/meta';
export const regKey = (keyHex: string) => `lsp/reg/${keyHex}`;
export const factoryKey = (idHex: string) => `lsp/f/${idHex}`;
export const proposalKey = (idHex: string) => `lsp/f/${idHex}/p`;
export const sigsKey = (idHex: string) => `lsp/f/${idHex}/s`;
export const closeKey = (idHex: string) => `lsp/f/${idHex}/k`;
export const channelKey = (idHex: string) => `lsp/c/${idHex}`;

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

/** @internal */
export interface StoredMeta {
  readonly nextFactoryIndex: number;
  readonly tip: { readonly height: number; readonly hash: string } | null;
}

/** @internal */
export interface StoredRegistration {
  readonly peer: string;
  readonly key: Uint8Array;
  readonly closeScript: Uint8Array;
  readonly capacity: bigint;
  readonly balance: bigint;
  readonly profile?: { readonly contribution: bigint; readonly uptime: number; readonly timezone: number };
  /** ms when it was granted. */
  readonly at: number;
  /** `waiting` for a factory, or `used` (proposed once: the key is never accepted again). */
  readonly status: 'waiting' | 'used';
}

/** The LSP's phases of a factory (`closing`/`closed` belong to the cooperative close). */
export type LspFactoryPhase = 'ceremony' | 'funded' | 'open' | 'aborted' | 'abandoned' | 'closing' | 'closed';
/** Steps of the ceremony phase: round 1, round 2, channels (after `factory_signed`). */
export type LspCeremonyStep = 'nonces' | 'psigs' | 'channels';

/** @internal */
export interface StoredFactoryState {
  readonly phase: LspFactoryPhase;
  readonly step: LspCeremonyStep;
  readonly attempt: number;
  readonly signingFailures: number;
  readonly restarts: number;
  readonly fundingConfirmedAt: number | null;
  readonly abandonTxid: string | null;
}

/** @internal */
export interface StoredProposal {
  readonly factoryIndex: number;
  readonly owner: string;
  readonly participants: readonly string[];
  readonly fundingTx: Uint8Array;
  readonly proposal: Proposal;
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
const isStr = (x: unknown) => typeof x === 'string';
const isHex = (x: unknown) => typeof x === 'string' && /^([0-9a-f]{2})*$/.test(x);
const isDec = (x: unknown) => typeof x === 'string' && /^\d+$/.test(x);

/** @internal */
export function putMeta(m: StoredMeta): Op {
  return blob(META_KEY, json(m));
}

/** @internal */
export function readMeta(b: BlobRecord): StoredMeta {
  const o = parse(b);
  const tip = o.tip as StoredMeta['tip'];
  if (tip !== null && (typeof tip !== 'object' || !isInt(tip?.height) || !isStr(tip?.hash)))
    throw new DecodeError(b.key, 'field tip malformed');
  return { nextFactoryIndex: need(b, o, 'nextFactoryIndex', isInt), tip: tip ?? null };
}

/** @internal */
export function putRegistration(r: StoredRegistration): Op {
  return blob(
    regKey(toHex(r.key)),
    json({
      peer: r.peer,
      key: toHex(r.key),
      closeScript: toHex(r.closeScript),
      capacity: r.capacity,
      balance: r.balance,
      profile: r.profile,
      at: r.at,
      status: r.status,
    }),
  );
}

/** @internal */
export function readRegistration(b: BlobRecord): StoredRegistration {
  const o = parse(b);
  const p = o.profile as Record<string, unknown> | undefined;
  const status = need<string>(b, o, 'status', (x) => x === 'waiting' || x === 'used');
  return {
    peer: need(b, o, 'peer', isHex),
    key: fromHex(need(b, o, 'key', isHex)),
    closeScript: fromHex(need(b, o, 'closeScript', isHex)),
    capacity: BigInt(need<string>(b, o, 'capacity', isDec)),
    balance: BigInt(need<string>(b, o, 'balance', isDec)),
    ...(p === undefined || p === null
      ? {}
      : {
          profile: {
            contribution: BigInt(
              need<string>(b, p, 'contribution', (x) => isStr(x) && /^-?\d+$/.test(x as string)),
            ),
            uptime: need(b, p, 'uptime', (x) => typeof x === 'number'),
            timezone: need(b, p, 'timezone', (x) => typeof x === 'number'),
          },
        }),
    at: need(b, o, 'at', (x) => typeof x === 'number'),
    status: status as StoredRegistration['status'],
  };
}

const PHASES: readonly LspFactoryPhase[] = [
  'ceremony',
  'funded',
  'open',
  'aborted',
  'abandoned',
  'closing',
  'closed',
];
const STEPS: readonly LspCeremonyStep[] = ['nonces', 'psigs', 'channels'];

/** @internal */
export function putFactoryState(idHex: string, s: StoredFactoryState): Op {
  return blob(factoryKey(idHex), json(s));
}

/** @internal */
export function readFactoryState(b: BlobRecord): StoredFactoryState {
  const o = parse(b);
  return {
    phase: need(b, o, 'phase', (x) => PHASES.includes(x as LspFactoryPhase)),
    step: need(b, o, 'step', (x) => STEPS.includes(x as LspCeremonyStep)),
    attempt: need(b, o, 'attempt', isInt),
    signingFailures: need(b, o, 'signingFailures', isInt),
    restarts: need(b, o, 'restarts', isInt),
    fundingConfirmedAt: need(b, o, 'fundingConfirmedAt', (x) => x === null || isInt(x)),
    abandonTxid: need(b, o, 'abandonTxid', (x) => x === null || isHex(x)),
  };
}

/** @internal */
export function putProposal(idHex: string, p: StoredProposal): Op {
  const record = encodeFactory({
    proposal: p.proposal,
    history: [],
    signatures: new Map(),
    secrets: new Map(),
  });
  return blob(
    proposalKey(idHex),
    json({
      factoryIndex: p.factoryIndex,
      owner: p.owner,
      participants: p.participants,
      fundingTx: toHex(p.fundingTx),
      record: toHex(record),
    }),
  );
}

/** @internal */
export function readProposal(b: BlobRecord): StoredProposal {
  const o = parse(b);
  let proposal: Proposal;
  try {
    proposal = decodeFactory(fromHex(need(b, o, 'record', isHex))).proposal;
  } catch (cause) {
    throw new DecodeError(b.key, 'the factory record does not decode', { cause });
  }
  return {
    factoryIndex: need(b, o, 'factoryIndex', isInt),
    owner: need(b, o, 'owner', isStr),
    participants: need(b, o, 'participants', (x) => Array.isArray(x) && x.every(isHex)),
    fundingTx: fromHex(need(b, o, 'fundingTx', isHex)),
    proposal,
  };
}

/** @internal */
export function putSignatures(idHex: string, sigs: readonly Uint8Array[]): Op {
  const data = new Uint8Array(sigs.length * 64);
  sigs.forEach((s, i) => {
    data.set(s, i * 64);
  });
  return blob(sigsKey(idHex), data);
}

/** @internal */
export function readSignatures(b: BlobRecord, count: number): Uint8Array[] {
  if (b.version > RECORD_VERSION)
    throw new DecodeError(b.key, `version ${b.version} is newer than this release reads`);
  if (b.data.length !== count * 64) throw new DecodeError(b.key, `expected ${count} signatures of 64 bytes`);
  return Array.from({ length: count }, (_, i) => b.data.slice(i * 64, i * 64 + 64));
}

/** @internal */
export function putChannelState(idHex: string, version: number, state: Uint8Array): Op {
  return blob(channelKey(idHex), state, version);
}

/** @internal */
export function putChannelBlob(idHex: string, key: string, bytes: Uint8Array): Op {
  return blob(`${channelKey(idHex)}/${key}`, bytes);
}

/** @internal The persisted part of a cooperative close. */
export interface StoredClose {
  readonly requestedBy: string | null;
  readonly startedAt: number;
  readonly deadline: number;
  readonly lastAttempt: number;
  readonly feeRate: number | null;
  readonly stalled: boolean;
  readonly failures: number;
  readonly attempts: readonly CloseAttempt[];
  readonly signed: readonly SignedClose[];
  readonly confirmed: { readonly txid: string; readonly height: number } | null;
}

/** @internal */
export function putClose(idHex: string, c: StoredClose): Op {
  return blob(
    closeKey(idHex),
    json({
      ...c,
      signed: c.signed.map((s) => ({
        attempt: s.attempt,
        txid: s.txid,
        raw: toHex(s.raw),
        signature: toHex(s.signature),
      })),
    }),
  );
}

/** @internal */
export function readClose(b: BlobRecord): StoredClose {
  const o = parse(b);
  const list = (f: string) =>
    need<Record<string, unknown>[]>(
      b,
      o,
      f,
      (x) => Array.isArray(x) && x.every((e) => typeof e === 'object' && e !== null),
    );
  const confirmed = o.confirmed as StoredClose['confirmed'];
  if (
    confirmed !== null &&
    (typeof confirmed !== 'object' || !isInt(confirmed?.height) || !isHex(confirmed?.txid))
  )
    throw new DecodeError(b.key, 'field confirmed malformed');
  return {
    requestedBy: need(b, o, 'requestedBy', (x) => x === null || isHex(x)),
    startedAt: need(b, o, 'startedAt', (x) => typeof x === 'number'),
    deadline: need(b, o, 'deadline', (x) => typeof x === 'number'),
    lastAttempt: need(b, o, 'lastAttempt', isInt),
    feeRate: need(b, o, 'feeRate', (x) => x === null || isInt(x)),
    stalled: need(b, o, 'stalled', (x) => typeof x === 'boolean'),
    failures: need(b, o, 'failures', isInt),
    attempts: list('attempts').map((a) => ({
      attempt: need(b, a, 'attempt', isInt),
      txid: need(b, a, 'txid', isHex),
      tipHeight: need(b, a, 'tipHeight', isInt),
      closeFeeRate: need(b, a, 'closeFeeRate', isInt),
      balances: need<string[]>(b, a, 'balances', (x) => Array.isArray(x) && x.every(isDec)).map((v) =>
        BigInt(v),
      ),
      fee: BigInt(need<string>(b, a, 'fee', isDec)),
      lspAmount: BigInt(need<string>(b, a, 'lspAmount', isDec)),
    })),
    signed: list('signed').map((s) => ({
      attempt: need(b, s, 'attempt', isInt),
      txid: need(b, s, 'txid', isHex),
      raw: fromHex(need(b, s, 'raw', isHex)),
      signature: fromHex(need(b, s, 'signature', isHex)),
    })),
    confirmed: confirmed ?? null,
  };
}
