/**
 * The client's events (roles memo §1, LDK's `Event` pattern): journalled by the machine's own
 * `persist` actions (`{ op: 'event', kind, payload }`), so an event exists exactly when the state it
 * announces is durable. Payloads are UTF-8 JSON, bigints as decimal strings, bytes as hex;
 * {@link decodeClientEvent} maps a journal record back to a typed {@link ClientEvent}. Handlers must
 * tolerate replays.
 *
 * @module
 */
import type { EventOp } from '@superscalar/persist';
import { decodeTowerEvent, isTowerEventKind, type TowerJournalEvent } from '@superscalar/watchtower';
import { DecodeError } from './errors.js';
import type { ExitEvent } from './exit/driver.js';

/** Every event of the client's journal. Ids and keys are lower-case hex. */
export type ClientEvent =
  /** The LSP granted a registration (amounts and routing terms). */
  | {
      readonly kind: 'RegistrationGranted';
      readonly factoryIndex: number;
      readonly factoryKey: string;
      readonly capacity: bigint;
      readonly balance: bigint;
      readonly feeBaseMsat: number;
      readonly feeProportionalMillionths: number;
    }
  /** The LSP refused a registration (`reason`: a wire `RegistrationRefusal` code). */
  | {
      readonly kind: 'RegistrationRefused';
      readonly factoryIndex: number;
      readonly factoryKey: string;
      readonly reason: number;
      readonly text: string;
    }
  /** A proposal passed every check and is stored; round 1 follows. */
  | {
      readonly kind: 'FactoryProposed';
      readonly factoryId: string;
      readonly clientIndex: number;
      readonly clients: number;
      readonly capacity: bigint;
      readonly balance: bigint;
      readonly fundingTxid: string;
    }
  /** The client's path and distribution signatures are verified and stored. */
  | { readonly kind: 'FactorySigned'; readonly factoryId: string }
  /** The client's channel holds commitment 0 signed both ways. */
  | { readonly kind: 'ChannelReady'; readonly factoryId: string; readonly channelId: string }
  /** The LSP broadcast the funding (`factory_funded`), or it was seen in a block. */
  | { readonly kind: 'FactoryFunded'; readonly factoryId: string; readonly txid: string }
  /** The funding has `minimumDepth` confirmations: balances are open. */
  | {
      readonly kind: 'FactoryOpen';
      readonly factoryId: string;
      readonly txid: string;
      readonly height: number;
      readonly channelReady: boolean;
    }
  /**
   * The ceremony ended before funding: aborted by the LSP (`byLsp`), or refused by this client (an
   * invalid proposal or signature). `self`: this client is the one blamed.
   */
  | {
      readonly kind: 'CeremonyAborted';
      readonly factoryId: string;
      readonly reason: string;
      readonly text: string;
      readonly byLsp: boolean;
      readonly blamed?: number;
      readonly self: boolean;
    }
  /** Funding did not confirm by `proposalHeight + fundingTimeout`: the client abandoned the factory. */
  | {
      readonly kind: 'FactoryAbandoned';
      readonly factoryId: string;
      readonly fundingTxid: string;
      readonly height: number;
    }
  /** The LSP broke a channel rule in committed state: broadcast the latest commitment (a later release does it). */
  | {
      readonly kind: 'ChannelFailed';
      readonly factoryId: string;
      readonly channelId: string;
      readonly message: string;
    }
  /**
   * The LSP proposed a close this client checked and agreed to (its own close address paid at least
   * `balance`, its own channel's balance): it is persisted, and its nonce sent.
   */
  | {
      readonly kind: 'CloseProposed';
      readonly factoryId: string;
      readonly attempt: number;
      readonly txid: string;
      readonly balance: bigint;
      readonly ownOutput: bigint;
      readonly closeFeeRate: number;
      readonly fee: bigint;
    }
  /**
   * The client refused a proposed close and signed nothing (`fault`: a `CloseRefusal`, e.g.
   * `no-own-output` — brief §12 flaw 6 — or `underpaid`); the LSP got a `warning`; the factory stays open.
   */
  | {
      readonly kind: 'CloseRefused';
      readonly factoryId: string;
      readonly attempt: number;
      readonly fault: string;
      readonly text: string;
    }
  /** `close_done` verified: the client holds the signed close (and may broadcast it). */
  | {
      readonly kind: 'CloseSigned';
      readonly factoryId: string;
      readonly attempt: number;
      readonly txid: string;
    }
  /**
   * A close the client agreed to has `minimumDepth` confirmations: the factory and its channel are
   * closed. `balances`: its own balance and output, and every other client's output (a balance below
   * dust goes to the LSP's output and is invisible to the others).
   */
  | {
      readonly kind: 'FactoryClosed';
      readonly factoryId: string;
      readonly txid: string;
      readonly height: number;
      readonly attempt: number;
      readonly balances: readonly {
        readonly clientIndex: number;
        readonly balance: bigint;
        readonly paid: bigint;
      }[];
      readonly lspAmount: bigint;
      readonly fee: bigint;
    }
  /** `create_invoice`: the signed BOLT 11 invoice (hand it to the payer out of band). */
  | {
      readonly kind: 'InvoiceCreated';
      readonly paymentHash: string;
      readonly amountMsat: bigint;
      readonly invoice: string;
      readonly factoryId: string;
      readonly channelId: string;
    }
  /** An HTLC paying one of our invoices is irrevocably committed; we fulfil it (the preimage leaves now). */
  | { readonly kind: 'PaymentReceived'; readonly paymentHash: string; readonly amountMsat: bigint }
  /** Our payment was fulfilled: `preimage` is the proof (its SHA-256 is the hash). */
  | {
      readonly kind: 'PaymentSent';
      readonly paymentHash: string;
      readonly preimage: string;
      readonly amountMsat: bigint;
      readonly feeMsat: bigint;
    }
  /** Our payment failed irrevocably: `reason` is the BOLT 4 failuremsg (hex), `code` its u16 failure code. */
  | {
      readonly kind: 'PaymentFailed';
      readonly paymentHash: string;
      readonly code: number;
      readonly reason: string;
    }
  /**
   * The LSP's `update_fee` was refused (`code`: `CLIENT_FEE_RATE_REFUSED`; the rate is outside
   * `min`..`max`, the policy's bounds): a `warning` went to the LSP and the connection was closed.
   */
  | {
      readonly kind: 'FeeUpdateRefused';
      readonly channelId: string;
      readonly feeRate: number;
      readonly min: number;
      readonly max: number;
      readonly code: string;
    }
  /** A command could not be carried out. */
  | {
      readonly kind: 'CommandRefused';
      readonly command: string;
      readonly code: string;
      readonly message: string;
    }
  /** A bug: an internal invariant broke while handling an input. */
  | { readonly kind: 'InvariantViolated'; readonly invariant: string; readonly message: string }
  /**
   * A unilateral exit (`exit/driver.ts`): `ExitStarted { reason }`, `ExitStepBroadcast { txid, height,
   * childTxid?, feeRate, bump }` (first broadcast and each re-bump), `ExitStepConfirmed { txid,
   * height }`, `ExitStepLost` (an input spent elsewhere), `ExitClaimed { amount }` (a claim confirmed),
   * `ExitCompleted { claimed }`.
   */
  | ExitEvent
  /**
   * An advance of the client's path is done (brief §5.1): it holds and verified the new state, the
   * poison and its settlement, and its channel is on its new outpoint (`capacity` sats; the
   * `liquidityFeeMsat` it paid moved to the LSP). `advanceKind`: leaf, carry or epoch reset (§5.2);
   * `counters`: its leaf's superseded and created counters `c` (§5.3).
   */
  | {
      readonly kind: 'AdvanceCompleted';
      readonly factoryId: string;
      readonly advanceId: number;
      readonly leaf: number;
      readonly advanceKind: 'leaf' | 'carry' | 'epoch-reset';
      readonly counters: { readonly superseded: readonly number[]; readonly created: readonly number[] };
      readonly capacity: bigint;
      readonly liquidityFeeMsat: bigint;
    }
  /**
   * An advance the client took part in stopped before it counted (nothing of it holds): `refused` by
   * the client (`code`: `CLIENT_ADVANCE_REFUSED`), abandoned on a `disconnected` link or `aborted` by
   * the LSP, replaced by a newer proposal (`superseded`), or `invalid` signatures from the LSP.
   */
  | {
      readonly kind: 'AdvanceFailed';
      readonly factoryId: string;
      readonly advanceId: number;
      readonly reason: string;
      readonly text: string;
      readonly code?: string;
    }
  /**
   * An event of the role's embedded watchtower (`Tower*`: `@superscalar/watchtower`'s `TowerEvent`
   * with `kind` for `type`), journalled in the tower's own update of the role's store.
   */
  | TowerJournalEvent
  /** A journal record of a kind this version does not know. */
  | { readonly kind: 'Unknown'; readonly name: string; readonly payload: Uint8Array };

/** The kinds this version writes. */
export type ClientEventKind = Exclude<ClientEvent['kind'], 'Unknown'>;

const KNOWN: readonly ClientEventKind[] = [
  'RegistrationGranted',
  'RegistrationRefused',
  'FactoryProposed',
  'FactorySigned',
  'ChannelReady',
  'FactoryFunded',
  'FactoryOpen',
  'CeremonyAborted',
  'FactoryAbandoned',
  'ChannelFailed',
  'CloseProposed',
  'CloseRefused',
  'CloseSigned',
  'FactoryClosed',
  'CommandRefused',
  'InvariantViolated',
  'InvoiceCreated',
  'PaymentReceived',
  'PaymentSent',
  'PaymentFailed',
  'FeeUpdateRefused',
  'ExitStarted',
  'ExitStepBroadcast',
  'ExitStepConfirmed',
  'ExitStepLost',
  'ExitClaimed',
  'ExitCompleted',
  'AdvanceCompleted',
  'AdvanceFailed',
];

const BIGINTS: Partial<Record<ClientEventKind, readonly string[]>> = {
  RegistrationGranted: ['capacity', 'balance'],
  FactoryProposed: ['capacity', 'balance'],
  InvoiceCreated: ['amountMsat'],
  PaymentReceived: ['amountMsat'],
  PaymentSent: ['amountMsat', 'feeMsat'],
  CloseProposed: ['balance', 'ownOutput', 'fee'],
  FactoryClosed: ['lspAmount', 'fee'],
  ExitClaimed: ['amount'],
  ExitCompleted: ['claimed'],
  AdvanceCompleted: ['capacity', 'liquidityFeeMsat'],
};

/** Bigint fields of the entries of a list field. */
const NESTED: Partial<
  Record<ClientEventKind, { readonly list: string; readonly fields: readonly string[] }>
> = {
  FactoryClosed: { list: 'balances', fields: ['balance', 'paid'] },
};

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

/** @internal The journal operation of an event. */
export function eventOp(event: Exclude<ClientEvent, { kind: 'Unknown' }>): EventOp {
  const { kind, ...rest } = event;
  return {
    op: 'event',
    kind,
    payload: enc.encode(JSON.stringify(rest, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))),
  };
}

/**
 * A journal record as a typed event; a kind this version does not write decodes as `Unknown`.
 *
 * @throws {DecodeError} a known kind whose payload is not the JSON this version writes.
 */
export function decodeClientEvent(record: {
  readonly kind: string;
  readonly payload: Uint8Array;
}): ClientEvent {
  if (typeof record !== 'object' || record === null || typeof record.kind !== 'string')
    throw new DecodeError('event', 'expected a journal record { kind, payload }');
  if (isTowerEventKind(record.kind)) {
    try {
      return decodeTowerEvent(record) as TowerJournalEvent;
    } catch (cause) {
      throw new DecodeError(`event ${record.kind}`, 'a tower event whose payload does not decode', { cause });
    }
  }
  const kind = record.kind as ClientEventKind;
  if (!KNOWN.includes(kind))
    return { kind: 'Unknown', name: record.kind, payload: Uint8Array.from(record.payload) };
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(dec.decode(record.payload)) as Record<string, unknown>;
  } catch (cause) {
    throw new DecodeError(`event ${kind}`, 'the payload is not UTF-8 JSON', { cause });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new DecodeError(`event ${kind}`, 'the payload is not a JSON object');
  for (const f of BIGINTS[kind] ?? []) {
    const v = body[f];
    if (typeof v !== 'string' || !/^-?\d+$/.test(v))
      throw new DecodeError(`event ${kind}`, `${f} is not a decimal string`);
    body[f] = BigInt(v);
  }
  const nested = NESTED[kind];
  if (nested !== undefined) {
    const list = body[nested.list];
    if (!Array.isArray(list)) throw new DecodeError(`event ${kind}`, `${nested.list} is not a list`);
    body[nested.list] = list.map((e: unknown) => {
      if (typeof e !== 'object' || e === null)
        throw new DecodeError(`event ${kind}`, `${nested.list}[] entry`);
      const out: Record<string, unknown> = { ...e };
      for (const f of nested.fields) {
        const v = out[f];
        if (typeof v !== 'string' || !/^-?\d+$/.test(v))
          throw new DecodeError(`event ${kind}`, `${nested.list}[].${f} is not a decimal string`);
        out[f] = BigInt(v);
      }
      return out;
    });
  }
  return { kind, ...body } as ClientEvent;
}
