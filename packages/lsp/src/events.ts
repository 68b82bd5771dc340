/**
 * The LSP's events (roles memo §1, LDK's `Event` pattern): what the embedder must react to, written
 * into the journal by the machine's own `persist` actions (`{ op: 'event', kind, payload }`), so an
 * event exists exactly when the state it announces is durable. Payloads are UTF-8 JSON with bigints
 * as decimal strings and bytes as hex; {@link decodeLspEvent} maps a journal record back to a typed
 * {@link LspEvent}. Handlers must tolerate replays (the embedder's queue re-delivers an event that was
 * not acknowledged before a crash).
 *
 * @module
 */

import type { ExitEvent } from '@superscalar/client';
import type { EventOp } from '@superscalar/persist';
import { decodeTowerEvent, isTowerEventKind, type TowerJournalEvent } from '@superscalar/watchtower';
import { DecodeError } from './errors.js';

/** Every event of the LSP's journal. Ids (`factoryId`, `channelId`, `peer`, keys) are lower-case hex. */
export type LspEvent =
  /** A client's registration was granted and stored (bound to its node id). */
  | {
      readonly kind: 'RegistrationGranted';
      readonly peer: string;
      readonly factoryKey: string;
      readonly capacity: bigint;
      readonly balance: bigint;
    }
  /** A registration was refused (`reason`: a wire `RegistrationRefusal` code). */
  | {
      readonly kind: 'RegistrationRefused';
      readonly peer: string;
      readonly factoryKey: string;
      readonly reason: number;
      readonly text: string;
    }
  /** A factory was formed and proposed; its funding is built (unsigned) and reserved. */
  | {
      readonly kind: 'FactoryProposed';
      readonly factoryId: string;
      readonly factoryIndex: number;
      readonly clients: number;
      readonly fundingTxid: string;
      readonly amount: bigint;
      readonly proposalHeight: number;
    }
  /** Every tree and distribution signature is aggregated, verified and stored. */
  | { readonly kind: 'FactorySigned'; readonly factoryId: string; readonly attempt: number }
  /** A channel holds commitment 0 signed both ways. */
  | {
      readonly kind: 'ChannelReady';
      readonly factoryId: string;
      readonly channelId: string;
      readonly clientIndex: number;
      readonly peer: string;
    }
  /** The funding transaction is signed and broadcast (every channel's commitment 0 came first). */
  | { readonly kind: 'FactoryFunded'; readonly factoryId: string; readonly txid: string }
  /** The funding has `minimumDepth` confirmations: the factory and its channels are open. */
  | {
      readonly kind: 'FactoryOpen';
      readonly factoryId: string;
      readonly txid: string;
      readonly height: number;
    }
  /**
   * The ceremony stopped before funding: nothing was signed that could be used (the funding inputs are
   * released). `dropped`: the clients left out when it forms again. `code`: the typed error behind
   * it when there is one (`LSP_CANCELLING_NONCES`: the client nonces of one job cancelled; `dropped`
   * is every client signer of that job).
   */
  | {
      readonly kind: 'CeremonyAborted';
      readonly factoryId: string;
      readonly reason:
        | 'timeout'
        | 'invalid_proposal'
        | 'signing_failed'
        | 'funding_failed'
        | 'client_withdrew';
      readonly text: string;
      readonly blamed?: number;
      readonly dropped: readonly string[];
      readonly code?: string;
    }
  /** Funding did not confirm by `proposalHeight + fundingTimeout`: its inputs are double-spent (or released). */
  | {
      readonly kind: 'FactoryAbandoned';
      readonly factoryId: string;
      readonly fundingTxid: string;
      readonly doubleSpendTxid?: string;
    }
  /** A channel's peer broke a rule in committed state: broadcast its latest commitment (a later release does it). */
  | {
      readonly kind: 'ChannelFailed';
      readonly factoryId: string;
      readonly channelId: string;
      readonly message: string;
    }
  /** A client asked to close a factory (`close_propose`, attempt 0): granted or not by the policy. */
  | {
      readonly kind: 'CloseRequested';
      readonly factoryId: string;
      readonly peer: string;
      readonly accepted: boolean;
    }
  /**
   * A close attempt is persisted and proposed to every client (`close_propose`): every channel was
   * quiescent without HTLCs, the balances read from them.
   */
  | {
      readonly kind: 'CloseProposed';
      readonly factoryId: string;
      readonly attempt: number;
      readonly txid: string;
      readonly tipHeight: number;
      readonly closeFeeRate: number;
      readonly fee: bigint;
    }
  /** An attempt ended without a signature: a bad partial (`blamed`: i + 1 = clients[i]) or a lost client. */
  | {
      readonly kind: 'CloseAttemptFailed';
      readonly factoryId: string;
      readonly attempt: number;
      readonly reason: 'blame' | 'disconnected';
      readonly blamed?: number;
      readonly peer?: string;
    }
  /** The close is signed, stored, and broadcast (`close_done` to every client). */
  | {
      readonly kind: 'CloseSigned';
      readonly factoryId: string;
      readonly attempt: number;
      readonly txid: string;
    }
  /**
   * The close (or a fee bump) was not signed by `closeDeadlineMs`: `missing` are the clients still
   * offline or owing an answer, `htlcs` those whose channel holds HTLCs or pending updates. Nothing
   * was signed by this close or bump; the factory stays as it is (unilateral exits are a later release).
   */
  | {
      readonly kind: 'CloseStalled';
      readonly factoryId: string;
      readonly attempt: number;
      readonly missing: readonly string[];
      readonly htlcs: readonly string[];
      readonly reason: string;
    }
  /**
   * A close has `minimumDepth` confirmations: the factory and its channels are closed. `balances`: each
   * client's balance and what its output pays (0 for a balance below dust, left to the LSP).
   */
  | {
      readonly kind: 'FactoryClosed';
      readonly factoryId: string;
      readonly txid: string;
      readonly height: number;
      readonly attempt: number;
      readonly balances: readonly {
        readonly clientIndex: number;
        readonly peer: string;
        readonly balance: bigint;
        readonly paid: bigint;
      }[];
      readonly lspAmount: bigint;
      readonly fee: bigint;
    }
  /** A forward settled: the payee's fulfil reached the LSP, which settles upstream with the preimage. */
  | {
      readonly kind: 'PaymentForwarded';
      readonly paymentHash: string;
      readonly inChannel: string;
      readonly outChannel: string;
      readonly amountMsat: bigint;
      readonly feeMsat: bigint;
    }
  /**
   * The LSP sent `update_fee` on a channel (`target`: the estimate's rate within the policy's bounds;
   * `feeRate` lower when the LSP could not afford the target, or the rate a refusal restored).
   */
  | {
      readonly kind: 'FeeUpdateProposed';
      readonly channelId: string;
      readonly feeRate: number;
      readonly previous: number;
      readonly target: number;
    }
  /** A client refused an `update_fee` (its `warning`): that rate is not proposed again until the estimate moves. */
  | {
      readonly kind: 'FeeUpdateRefused';
      readonly channelId: string;
      readonly peer: string;
      readonly feeRate: number;
      readonly text: string;
    }
  /** No `update_fee` the LSP can afford comes near the target (brief §7 affordability): the channel keeps its rate. */
  | {
      readonly kind: 'FeeUpdateSkipped';
      readonly channelId: string;
      readonly feeRate: number;
      readonly reason: 'affordability';
    }
  /** A command could not be carried out (`code`: an `LSP_` code). */
  | {
      readonly kind: 'CommandRefused';
      readonly command: string;
      readonly code: string;
      readonly message: string;
    }
  /** A bug: an internal invariant broke while handling an input (the input had no other effect). */
  | { readonly kind: 'InvariantViolated'; readonly invariant: string; readonly message: string }
  /**
   * An exit or recovery (`exit.ts`, the client package's exit driver): `ExitStarted { reason }`,
   * `ExitStepBroadcast { txid, height }`, `ExitStepConfirmed`, `ExitStepLost`, `ExitClaimed { amount }`
   * (an L-stock spend, timeout recovery or claim confirmed), `ExitCompleted { claimed }`.
   */
  | ExitEvent
  /** A client asked for an advance of its leaf (`advance_request`); `accepted`: the policy granted it. */
  | {
      readonly kind: 'AdvanceRequested';
      readonly factoryId: string;
      readonly peer: string;
      readonly clientIndex: number;
      readonly capacity: bigint;
      readonly liquidityFeeMsat: bigint;
      readonly accepted: boolean;
    }
  /**
   * An advance is signed, verified and stored (brief §5.1): the new state, every poison and
   * settlement, each channel rebound on its new outpoint; the superseded L-stock secrets are revealed
   * next. `kind`: a per-leaf advance, a carry into an ancestor, or an epoch reset (§5.2). `counters`:
   * the leaf-state counters `c` superseded and created (§5.3). `channels`: each re-signed channel's
   * capacity after the advance and the liquidity fee it paid; `feesMsat` their sum.
   */
  | {
      readonly kind: 'AdvanceCompleted';
      readonly factoryId: string;
      readonly advanceId: number;
      readonly leaf: number;
      readonly advanceKind: 'leaf' | 'carry' | 'epoch-reset';
      readonly purpose: 'liquidity' | 'rebalance' | 'client_request';
      readonly node: number;
      readonly counters: { readonly superseded: readonly number[]; readonly created: readonly number[] };
      readonly channels: readonly {
        readonly clientIndex: number;
        readonly capacity: bigint;
        readonly liquidityFeeMsat: bigint;
      }[];
      readonly feesMsat: bigint;
      /** The signing attempt that completed it, when it is not the first (0): see `AdvanceRetried`. */
      readonly attempt?: number;
    }
  /**
   * An advance stopped before it was signed: nothing of it was released and everyone stays on the old
   * state (its counters are retired, §5.3). `reason`: quiescence or a step timed out, a client
   * disconnected or refused the terms, a signature failed (`blamed`; or, with nobody to blame, every
   * one of `attempts` attempts failed: `cancelling`), a channel could not rebind, the factory started
   * closing, or the LSP restarted during it (`restart`, journalled at the first input after the
   * restore, with the attempts the durable counter had reached).
   */
  | {
      readonly kind: 'AdvanceFailed';
      readonly factoryId: string;
      readonly leaf: number;
      readonly advanceId?: number;
      readonly reason:
        | 'timeout'
        | 'disconnected'
        | 'refused'
        | 'signing_failed'
        | 'channel'
        | 'closing'
        | 'restart';
      readonly text: string;
      readonly blamed?: number;
      /** Signing attempts made (present once the advance was retried, or after a restart). */
      readonly attempts?: number;
      /** With no one blamed: the clients whose nonces cancelled (i + 1 = clients[i]), every signer of that job. */
      readonly cancelling?: readonly number[];
    }
  /**
   * An advance's aggregation failed with nobody to blame (client nonces of one job that cancel to
   * infinity, BIP327): the same advance — the same proposal, the same transactions — is signed again
   * with fresh nonces from every signer (rebinding included) under `attempt` (0 first), at most
   * `policy.advance.maxSigningAttempts` attempts in all. `cancelling`: when the clients' nonces of a
   * job cancelled (round 2), that job's client signers; absent for an aggregate that failed after the
   * partial signatures (no client's doing the LSP can prove).
   */
  | {
      readonly kind: 'AdvanceRetried';
      readonly factoryId: string;
      readonly leaf: number;
      readonly advanceId: number;
      readonly attempt: number;
      readonly text: string;
      readonly cancelling?: readonly number[];
    }
  /**
   * Brief §5.2: the leaf's DW subtree is exhausted (its top layer is at its last state): no advance
   * of that leaf is possible any more; the factory must be rotated (§9).
   */
  | {
      readonly kind: 'FactoryExhausted';
      readonly factoryId: string;
      readonly leaf: number;
      readonly topNode: number;
    }
  /**
   * An event of the role's embedded watchtower (`Tower*`: `@superscalar/watchtower`'s `TowerEvent`
   * with `kind` for `type`), journalled in the tower's own update of the role's store.
   */
  | TowerJournalEvent
  /** A journal record of a kind this version does not know (a newer writer). */
  | { readonly kind: 'Unknown'; readonly name: string; readonly payload: Uint8Array };

/** The kinds this version writes. */
export type LspEventKind = Exclude<LspEvent['kind'], 'Unknown'>;

const BIGINTS: Partial<Record<LspEventKind, readonly string[]>> = {
  RegistrationGranted: ['capacity', 'balance'],
  FactoryProposed: ['amount'],
  PaymentForwarded: ['amountMsat', 'feeMsat'],
  CloseProposed: ['fee'],
  FactoryClosed: ['lspAmount', 'fee'],
  ExitClaimed: ['amount'],
  ExitCompleted: ['claimed'],
  AdvanceRequested: ['capacity', 'liquidityFeeMsat'],
  AdvanceCompleted: ['feesMsat'],
};

/** Bigint fields of the entries of a list field. */
const NESTED: Partial<Record<LspEventKind, { readonly list: string; readonly fields: readonly string[] }>> = {
  FactoryClosed: { list: 'balances', fields: ['balance', 'paid'] },
  AdvanceCompleted: { list: 'channels', fields: ['capacity', 'liquidityFeeMsat'] },
};

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

/** @internal The journal operation of an event. */
export function eventOp(event: Exclude<LspEvent, { kind: 'Unknown' }>): EventOp {
  const { kind, ...rest } = event;
  const json = JSON.stringify(rest, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  return { op: 'event', kind, payload: enc.encode(json) };
}

/**
 * A journal record (`store.events()`, or persist's `EventQueue`) as a typed event. A kind this
 * version does not write decodes as `{ kind: 'Unknown' }`.
 *
 * @throws {DecodeError} a known kind whose payload is not the JSON this version writes.
 */
export function decodeLspEvent(record: { readonly kind: string; readonly payload: Uint8Array }): LspEvent {
  if (typeof record !== 'object' || record === null || typeof record.kind !== 'string')
    throw new DecodeError('event', 'expected a journal record { kind, payload }');
  if (isTowerEventKind(record.kind)) {
    try {
      return decodeTowerEvent(record) as TowerJournalEvent;
    } catch (cause) {
      throw new DecodeError(`event ${record.kind}`, 'a tower event whose payload does not decode', { cause });
    }
  }
  const kind = record.kind as LspEventKind;
  const known: readonly string[] = [
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
    'CloseRequested',
    'CloseProposed',
    'CloseAttemptFailed',
    'CloseSigned',
    'CloseStalled',
    'FactoryClosed',
    'CommandRefused',
    'InvariantViolated',
    'PaymentForwarded',
    'FeeUpdateProposed',
    'FeeUpdateRefused',
    'FeeUpdateSkipped',
    'ExitStarted',
    'ExitStepBroadcast',
    'ExitStepConfirmed',
    'ExitStepLost',
    'ExitClaimed',
    'ExitCompleted',
    'AdvanceRequested',
    'AdvanceCompleted',
    'AdvanceFailed',
    'AdvanceRetried',
    'FactoryExhausted',
  ];
  if (!known.includes(kind))
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
  return { kind, ...body } as LspEvent;
}
