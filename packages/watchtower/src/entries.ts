/**
 * Watch entries (brief §11): what a role hands its watchtower, as `@superscalar/persist` operations
 * the role puts in its own store update (DESIGN §4, one sequencer per store) before it releases
 * anything that depends on them. Pure functions: a role whose tower runs in another process builds
 * the same operations without a tower instance; an embedded {@link Watchtower} also indexes them.
 *
 * Three kinds of trigger, each a txid whose **confirmation** fires its responses:
 * - a guarded **kickoff** → `stale-state`: the newest signed state spending that kickoff's output
 *   (response 0, replaced at every advance), broadcast the moment its relative lock allows;
 * - a **superseded leaf state** → `poison` (response 0; completed with the revealed `s_c`) and
 *   `settlement`s (response 1 + the client's slot in the leaf), valid in the next block;
 * - a **revoked commitment** on any outpoint copy → `penalty` transactions (response j), valid in
 *   the next block.
 * Every response spends outputs of its trigger only and ends with a P2A anchor, so the tower carries
 * it in a 1-parent-1-child package with a CPFP child paid from its own fee wallet.
 *
 * Storage: persist's `watchEntries` rows (trigger txid, response index → the response bytes), its
 * `lstockSecrets` rows (factory, c → `s_c`, sealed), and one `blobs` row per factory holding the DW
 * step `S` the §5.2 emergency rule needs (`watch/f/<factory id hex>`), which no column of
 * `watchEntries` holds. A poison is stored with a zero secret slot; the tower joins it with its
 * secret by the poison leaf's hash (`sha256(s_c)`), so the secret is kept once, keyed by c.
 *
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '@superscalar/core';
import { type PoisonTx, verifyLStockSecret } from '@superscalar/factory-tree';
import type { BlobRecord, LStockSecretRecord, Op, WatchEntryRecord } from '@superscalar/persist';
import { MAX_PENALTY_INPUTS, type RevokedCopy } from '@superscalar/poon-dryja';
import {
  decodeTx,
  displayHex,
  encodeTx,
  isTxid,
  P2A_SCRIPT,
  TRUC_MAX_VSIZE,
  type Tx,
  txVsize,
} from '@superscalar/tx';
import { InvalidArgumentError, InvalidEntryError, SecretMismatchError } from './errors.js';

/** What a response answers. */
export type EntryKind = 'stale-state' | 'poison' | 'settlement' | 'penalty';

/** The operations of one change of a role's watch entries: put them in the role's next update. */
export interface EntryChange {
  readonly ops: readonly Op[];
}

/** Key prefix of the per-factory blob holding the DW step (`watch/f/<factory id hex>`). */
export const FACTORY_BLOB_PREFIX = 'watch/f/';
/** Format version of the per-factory blob. */
export const FACTORY_BLOB_VERSION = 1;
/** Most penalty transactions (each ≤ 170 inputs) per revoked commitment copy. */
export const MAX_RESPONSES_PER_TRIGGER = 1_000;

const enc = new TextEncoder();
const ZERO_SECRET = new Uint8Array(32);

/** Key of the per-factory blob. */
export function factoryBlobKey(factoryId: Uint8Array): string {
  return `${FACTORY_BLOB_PREFIX}${toHex(factoryId)}`;
}

function bytes(v: unknown, path: string, len?: number): Uint8Array {
  if (!(v instanceof Uint8Array) || (len !== undefined && v.length !== len))
    throw new InvalidArgumentError(
      path,
      len === undefined ? 'expected a Uint8Array' : `expected ${len} bytes`,
    );
  return v;
}

function factoryIdOf(v: unknown, path: string): Uint8Array {
  const b = bytes(v, path);
  if (b.length === 0 || b.length > 64) throw new InvalidArgumentError(path, 'expected 1 to 64 bytes');
  return Uint8Array.from(b);
}

function txidArg(v: unknown, path: string): string {
  if (!isTxid(v)) throw new InvalidArgumentError(path, 'expected a display-order txid (64 lower-case hex)');
  return v as string;
}

function int(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new InvalidArgumentError(path, `expected an integer in [${min}, ${max}]`);
  return v;
}

/** BIP68 relative lock in blocks of an input's nSequence (0 when disabled); time locks are refused. */
export function relativeLockOf(sequence: number, field: string): number {
  if ((sequence & 0x80000000) !== 0) return 0;
  if ((sequence & 0x00400000) !== 0)
    throw new InvalidEntryError(field, 'a time-based relative lock (no response uses one)');
  return sequence & 0xffff;
}

/**
 * Decodes and checks a response: version 3 and at most 10,000 vB (TRUC), every input spending
 * `triggerTxid`, the last output a P2A anchor (for the CPFP child), every input witnessed.
 */
export function checkResponse(raw: unknown, triggerTxid: string, field: string): Tx {
  const b = bytes(raw, field);
  let tx: Tx;
  try {
    tx = decodeTx(b);
  } catch (cause) {
    throw new InvalidEntryError(field, `not a transaction (${(cause as Error).message})`);
  }
  if (tx.version !== 3) throw new InvalidEntryError(field, `version ${tx.version}, expected 3 (TRUC)`);
  const vsize = txVsize(tx);
  if (vsize > TRUC_MAX_VSIZE)
    throw new InvalidEntryError(field, `${vsize} vB, above TRUC's ${TRUC_MAX_VSIZE}: it would never relay`);
  tx.inputs.forEach((i, n) => {
    if (displayHex(i.txidBytes) !== triggerTxid)
      throw new InvalidEntryError(
        `${field}.inputs[${n}]`,
        `spends ${displayHex(i.txidBytes)}, not the trigger`,
      );
    if ((i.witness?.length ?? 0) === 0) throw new InvalidEntryError(`${field}.inputs[${n}]`, 'no witness');
  });
  const last = tx.outputs[tx.outputs.length - 1];
  if (last === undefined || last.script.length !== 4 || !last.script.every((x, k) => x === P2A_SCRIPT[k]))
    throw new InvalidEntryError(field, 'the last output is not a P2A anchor');
  return tx;
}

function entryRow(
  triggerTxid: string,
  responseIndex: number,
  factoryId: Uint8Array | null,
  kind: EntryKind,
  responseTx: Uint8Array,
  relativeLock: number | null,
): WatchEntryRecord {
  return {
    triggerTxid,
    responseIndex,
    factoryId,
    kind,
    responseTx: Uint8Array.from(responseTx),
    validFromHeight: null,
    relativeLock,
    secret: null,
  };
}

/** The per-factory blob (the DW step of the §5.2 emergency rule). */
export function factoryBlob(factoryId: Uint8Array, dwStep: number): BlobRecord {
  return {
    key: factoryBlobKey(factoryId),
    version: FACTORY_BLOB_VERSION,
    data: enc.encode(JSON.stringify({ dwStep })),
    secret: false,
  };
}

/** Options of {@link staleStateEntry}. */
export interface StaleStateEntryOptions {
  /** The factory (the role's id for it; at most 64 bytes). */
  readonly factoryId: Uint8Array;
  /** The guarded kickoff: its confirmation triggers the response. */
  readonly kickoffTxid: string;
  /** The newest signed state spending that kickoff's output (`signedTxBytes`). */
  readonly state: Uint8Array;
  /** The factory's DW step `S` in blocks (brief §5.2: emergency `S − 6` blocks after maturity). */
  readonly dwStep: number;
}

/**
 * The entry of a guarded kickoff: when it confirms, the newest state (response 0) is broadcast the
 * moment its relative lock allows. Call again at every advance of that node with the new state: the
 * row is replaced. A carry rebuilds the kickoffs below the advanced node with new txids: add an entry
 * for each new kickoff and keep the old ones (a stale ancestor can still bring them back).
 */
export function staleStateEntry(o: StaleStateEntryOptions): EntryChange {
  if (typeof o !== 'object' || o === null) throw new InvalidArgumentError('options', 'expected an object');
  const factoryId = factoryIdOf(o.factoryId, 'options.factoryId');
  const kickoff = txidArg(o.kickoffTxid, 'options.kickoffTxid');
  const dwStep = int(o.dwStep, 'options.dwStep', 1, 65_535);
  const tx = checkResponse(o.state, kickoff, 'options.state');
  if (tx.inputs.length !== 1) throw new InvalidEntryError('options.state', 'a state has exactly one input');
  const lock = relativeLockOf((tx.inputs[0] as Tx['inputs'][number]).sequence, 'options.state');
  return {
    ops: [
      {
        op: 'put',
        table: 'watchEntries',
        row: entryRow(kickoff, 0, factoryId, 'stale-state', o.state, lock),
      },
      { op: 'put', table: 'blobs', row: factoryBlob(factoryId, dwStep) },
    ],
  };
}

/** A poison the leaf signers co-signed (brief §5.3), as factory-tree builds it, with its signature. */
export interface PoisonEntry {
  readonly tx: PoisonTx;
  /** The 64-byte script-path signature (`validateAdvance`'s `poisonSignature`). */
  readonly signature: Uint8Array;
}

/** Options of {@link supersededStateEntries}. */
export interface SupersededStateEntryOptions {
  readonly factoryId: Uint8Array;
  /** The superseded leaf state: its confirmation triggers the poison and the settlements. */
  readonly stateTxid: string;
  /** Its poison (absent when the advance skipped it below dust). */
  readonly poison?: PoisonEntry;
  /** Signed stale-channel settlements (§5.4), by the client's slot in the leaf (0 or 1). */
  readonly settlements?: readonly { readonly slot: number; readonly tx: Uint8Array }[];
}

/**
 * The entries of a superseded leaf state: its poison (response 0, stored with a zero secret slot; the
 * tower fills in `s_c` from {@link lstockSecretEntry}) and its settlements (response 1 + slot).
 */
export function supersededStateEntries(o: SupersededStateEntryOptions): EntryChange {
  if (typeof o !== 'object' || o === null) throw new InvalidArgumentError('options', 'expected an object');
  const factoryId = factoryIdOf(o.factoryId, 'options.factoryId');
  const stateTxid = txidArg(o.stateTxid, 'options.stateTxid');
  const ops: Op[] = [];
  if (o.poison !== undefined) {
    const p = o.poison;
    if (typeof p?.tx !== 'object' || p.tx === null)
      throw new InvalidArgumentError('options.poison.tx', 'expected a PoisonTx');
    const sig = bytes(p.signature, 'options.poison.signature', 64);
    const raw = encodeTx(p.tx.tx, [[sig, ZERO_SECRET, p.tx.leafScript, p.tx.controlBlock]]);
    checkPoisonTemplate(checkResponse(raw, stateTxid, 'options.poison'), 'options.poison');
    ops.push({
      op: 'put',
      table: 'watchEntries',
      row: entryRow(stateTxid, 0, factoryId, 'poison', raw, 0),
    });
  }
  const slots = new Set<number>();
  for (const [i, s] of (o.settlements ?? []).entries()) {
    const slot = int(s?.slot, `options.settlements[${i}].slot`, 0, 255);
    if (slots.has(slot)) throw new InvalidArgumentError(`options.settlements[${i}].slot`, 'duplicate slot');
    slots.add(slot);
    checkResponse(s.tx, stateTxid, `options.settlements[${i}].tx`);
    ops.push({
      op: 'put',
      table: 'watchEntries',
      row: entryRow(stateTxid, 1 + slot, factoryId, 'settlement', s.tx, 0),
    });
  }
  if (ops.length === 0)
    throw new InvalidArgumentError('options', 'expected a poison or at least one settlement');
  return { ops };
}

/**
 * Checks a poison's witness shape `[64-byte sig, 32-byte secret slot, poison leaf, 65-byte control
 * block]` and returns the leaf's hash `sha256(s_c)`.
 */
export function checkPoisonTemplate(tx: Tx, field: string): Uint8Array {
  const w = tx.inputs[0]?.witness ?? [];
  if (tx.inputs.length !== 1 || w.length !== 4 || w[0]?.length !== 64 || w[1]?.length !== 32)
    throw new InvalidEntryError(field, 'expected one input witnessed [sig, secret, leaf, control block]');
  const leaf = w[2] as Uint8Array;
  const head = [0x82, 0x01, 0x20, 0x88, 0xa8, 0x20];
  if (leaf.length !== 73 || head.some((x, k) => leaf[k] !== x) || leaf[38] !== 0x88 || leaf[72] !== 0xac)
    throw new InvalidEntryError(field, 'the witness script is not a poison leaf');
  return leaf.slice(6, 38);
}

/**
 * A role's tower ops for a revoked commitment: {@link penaltyEntries} over the copies with at least
 * one penalty, or none when nothing on it is worth one (no `to_local` above dust and no HTLC).
 */
export function revokedCommitmentOps(factoryId: Uint8Array | null, copies: readonly RevokedCopy[]): Op[] {
  if (!Array.isArray(copies)) throw new InvalidArgumentError('copies', 'expected an array');
  const useful = copies.filter((c) => c?.penalties?.length > 0);
  if (useful.length === 0) return [];
  return [...penaltyEntries({ factoryId, copies: useful }).ops];
}

/**
 * `ops` with each blob put once — the last put of a key, where it stands — for a persist that gathers
 * several entry changes (every stale-state entry of a factory carries the same factory blob).
 */
export function uniqueBlobPuts(ops: readonly Op[]): Op[] {
  const seen = new Set<string>();
  const out: Op[] = [];
  for (let k = ops.length - 1; k >= 0; k--) {
    const o = ops[k] as Op;
    if (o.op === 'put' && o.table === 'blobs') {
      if (seen.has(o.row.key)) continue;
      seen.add(o.row.key);
    }
    out.push(o);
  }
  return out.reverse();
}

/** Options of {@link penaltyEntries}. */
export interface PenaltyEntryOptions {
  /** The factory the channel lives in (so the entries are pruned with it); null for none. */
  readonly factoryId: Uint8Array | null;
  /**
   * Every outpoint copy of the revoked commitment with its signed penalties: poon-dryja's
   * `WatchtowerRecord.copies`, or the `copies` of a channel's `watch { type: 'revoked' }` action.
   */
  readonly copies: readonly RevokedCopy[];
}

/** The entries of a revoked commitment: per copy, its penalties (response j) on the copy's txid. */
export function penaltyEntries(o: PenaltyEntryOptions): EntryChange {
  if (typeof o !== 'object' || o === null) throw new InvalidArgumentError('options', 'expected an object');
  const factoryId = o.factoryId === null ? null : factoryIdOf(o.factoryId, 'options.factoryId');
  if (!Array.isArray(o.copies) || o.copies.length === 0)
    throw new InvalidArgumentError('options.copies', 'expected at least one copy');
  const ops: Op[] = [];
  o.copies.forEach((copy, i) => {
    const trigger = txidArg(copy?.commitmentTxid, `options.copies[${i}].commitmentTxid`);
    if (!Array.isArray(copy.penalties) || copy.penalties.length > MAX_RESPONSES_PER_TRIGGER)
      throw new InvalidArgumentError(`options.copies[${i}].penalties`, 'expected an array of transactions');
    copy.penalties.forEach((p: Uint8Array, j: number) => {
      const tx = checkResponse(p, trigger, `options.copies[${i}].penalties[${j}]`);
      if (tx.inputs.length > MAX_PENALTY_INPUTS)
        throw new InvalidEntryError(
          `options.copies[${i}].penalties[${j}]`,
          `${tx.inputs.length} inputs, above ${MAX_PENALTY_INPUTS} (brief §7)`,
        );
      ops.push({ op: 'put', table: 'watchEntries', row: entryRow(trigger, j, factoryId, 'penalty', p, 0) });
    });
  });
  return { ops };
}

/**
 * `kind` of a row that marks a response released by its owner ({@link releasedEntries}): it answers
 * nothing, and a tower that finds it stands down.
 */
export const RELEASED_KIND = 'released';

/** Options of {@link releasedEntries}. */
export interface ReleasedEntriesOptions {
  /** The factory of the entries (so the markers are pruned with it by `closeFactoryOps`). */
  readonly factoryId: Uint8Array | null;
  /** The responses the owner now publishes itself. */
  readonly refs: readonly { readonly triggerTxid: string; readonly responseIndex: number }[];
}

/**
 * The owner's durable release of entries for a tower that is not in its process (a standalone tower
 * reading the role's store, which has no `Watchtower.release` to call): each entry `(trigger, index)`
 * is replaced by a row of kind {@link RELEASED_KIND} with no response. Put the operations in the
 * update that records the owner's own plan (its exit driver's record), before its first broadcast.
 * A tower that has not seen the trigger confirm never arms the response; a standalone tower already
 * answering it re-reads the rows of its active triggers before each broadcast and re-bump
 * (`TowerRunner`'s `recheck`) and stands down (`response_released`) once the marker is there.
 */
export function releasedEntries(o: ReleasedEntriesOptions): EntryChange {
  if (typeof o !== 'object' || o === null) throw new InvalidArgumentError('options', 'expected an object');
  const factoryId = o.factoryId === null ? null : factoryIdOf(o.factoryId, 'options.factoryId');
  if (!Array.isArray(o.refs)) throw new InvalidArgumentError('options.refs', 'expected an array');
  const ops: Op[] = o.refs.map((r, i) => {
    const trigger = txidArg(r?.triggerTxid, `options.refs[${i}].triggerTxid`);
    const index = int(r.responseIndex, `options.refs[${i}].responseIndex`, 0, MAX_RESPONSES_PER_TRIGGER);
    return {
      op: 'put',
      table: 'watchEntries',
      row: {
        triggerTxid: trigger,
        responseIndex: index,
        factoryId,
        kind: RELEASED_KIND,
        responseTx: new Uint8Array(0),
        validFromHeight: null,
        relativeLock: null,
        secret: null,
      },
    };
  });
  return { ops };
}

/** Options of {@link lstockSecretEntry}. */
export interface LStockSecretEntryOptions {
  readonly factoryId: Uint8Array;
  /** The L-stock counter c (brief §5.3). */
  readonly c: number;
  /** `s_c`, revealed by the LSP after the advance. */
  readonly secret: Uint8Array;
  /** The poison it opens (the `PoisonTx`, its leaf script or the 32-byte hash): checked here. */
  readonly poison: PoisonTx | Uint8Array;
}

/**
 * The row of a revealed L-stock secret, keyed by (factory, c), after checking `sha256(s_c)` against
 * the poison leaf (brief §5.3).
 *
 * @throws {SecretMismatchError} the secret does not open that poison.
 */
export function lstockSecretEntry(o: LStockSecretEntryOptions): EntryChange {
  if (typeof o !== 'object' || o === null) throw new InvalidArgumentError('options', 'expected an object');
  const factoryId = factoryIdOf(o.factoryId, 'options.factoryId');
  const c = int(o.c, 'options.c', 0, 2 ** 48 - 1);
  const secret = bytes(o.secret, 'options.secret', 32);
  let ok: boolean;
  try {
    ok = verifyLStockSecret(secret, o.poison);
  } catch (cause) {
    throw new InvalidArgumentError('options.poison', 'expected a PoisonTx, a poison leaf or its hash', {
      cause,
    });
  }
  if (!ok) throw new SecretMismatchError(c);
  const row: LStockSecretRecord = { factoryId, c, secret: Uint8Array.from(secret) };
  return { ops: [{ op: 'put', table: 'lstockSecrets', row }] };
}

/** `sha256(s)` as hex (the join key of a poison and its secret). */
export function secretHashHex(secret: Uint8Array): string {
  return toHex(sha256(secret));
}
