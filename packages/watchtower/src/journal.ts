/**
 * Tower events as journal records (persist's `{ op: 'event', kind, payload }`), so an embedded tower's
 * events land in its role's event queue in the same update as the tower state they announce: an
 * embedder reading the queue sees each exactly once, across restarts. A tower opened with
 * `journal: true` adds {@link towerEventOp} of each of its events to the persist of the input (or
 * `release`) that caused it. Kinds are `Tower` + the event's type in PascalCase
 * (`response_broadcast` → `TowerResponseBroadcast`); payloads are UTF-8 JSON of the event's other
 * fields (a response's entry kind as `entryKind`), bigints as decimal strings (the roles' journal format). {@link decodeTowerEvent} maps a
 * record back; the roles' `decodeClientEvent`/`decodeLspEvent` delegate to it.
 *
 * @module
 */
import type { EventOp } from '@superscalar/persist';
import { DecodeError } from './errors.js';
import type { TowerEvent } from './types.js';

/** The journal kind of each tower event type. */
export const TOWER_EVENT_KINDS = {
  triggered: 'TowerTriggered',
  response_broadcast: 'TowerResponseBroadcast',
  response_confirmed: 'TowerResponseConfirmed',
  response_lost: 'TowerResponseLost',
  response_unconfirmed: 'TowerResponseUnconfirmed',
  trigger_cancelled: 'TowerTriggerCancelled',
  emergency: 'TowerEmergency',
  secret_missing: 'TowerSecretMissing',
  fee_coins_exhausted: 'TowerFeeCoinsExhausted',
  response_invalid: 'TowerResponseInvalid',
  broadcast_failed: 'TowerBroadcastFailed',
  response_released: 'TowerResponseReleased',
} as const satisfies Record<TowerEvent['type'], string>;

type KindMap = typeof TOWER_EVENT_KINDS;

/** A journal kind of a tower event. */
export type TowerEventKind = KindMap[keyof KindMap];

/**
 * A tower event as a role's journal holds it: `kind` (the journal kind) instead of `type`, the
 * response's entry kind (`stale-state`, `penalty`, …) as `entryKind`, the other fields as they are.
 */
export type TowerJournalEvent = {
  [T in TowerEvent['type']]: Omit<Extract<TowerEvent, { type: T }>, 'type' | 'kind'> & {
    readonly kind: KindMap[T];
  } & (Extract<TowerEvent, { type: T }> extends { readonly kind: infer K }
      ? { readonly entryKind: K }
      : unknown);
}[TowerEvent['type']];

const TYPE_OF = new Map<string, TowerEvent['type']>(
  Object.entries(TOWER_EVENT_KINDS).map(([t, k]) => [k, t as TowerEvent['type']]),
);
/** Bigint fields by event type. */
const BIGINTS: Partial<Record<TowerEvent['type'], readonly string[]>> = { fee_coins_exhausted: ['needed'] };

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

/** Whether `kind` is a tower event's journal kind. */
export function isTowerEventKind(kind: unknown): kind is TowerEventKind {
  return typeof kind === 'string' && TYPE_OF.has(kind);
}

/** The journal operation of a tower event. */
export function towerEventOp(event: TowerEvent): EventOp {
  const { type, ...fields } = event as TowerEvent & { kind?: string };
  const { kind: entryKind, ...rest } = fields;
  const kind = TOWER_EVENT_KINDS[type];
  const body = entryKind === undefined ? rest : { ...rest, entryKind };
  const json = JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  return { op: 'event', kind, payload: enc.encode(json) };
}

/**
 * A journal record of a tower event as a {@link TowerJournalEvent}; undefined for a kind that is not
 * a tower event's.
 *
 * @throws {DecodeError} a tower kind whose payload is not the JSON {@link towerEventOp} writes.
 */
export function decodeTowerEvent(record: {
  readonly kind: string;
  readonly payload: Uint8Array;
}): TowerJournalEvent | undefined {
  const type = TYPE_OF.get(record?.kind);
  if (type === undefined) return undefined;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(dec.decode(record.payload)) as Record<string, unknown>;
  } catch (cause) {
    throw new DecodeError(`event ${record.kind}`, 'the payload is not UTF-8 JSON', { cause });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new DecodeError(`event ${record.kind}`, 'the payload is not a JSON object');
  for (const f of BIGINTS[type] ?? []) {
    const v = body[f];
    if (typeof v !== 'string' || !/^-?\d+$/.test(v))
      throw new DecodeError(`event ${record.kind}`, `${f} is not a decimal string`);
    body[f] = BigInt(v);
  }
  return { ...body, kind: record.kind } as TowerJournalEvent;
}
