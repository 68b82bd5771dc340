/**
 * Internal: the channel state machine's state and plumbing, shared by the files that handle one
 * concern each (`_updates.ts`, `_signing.ts`, `_revocation.ts`, `_rebind.ts`, `_reestablish.ts`).
 * {@link ChannelCore} holds the persisted state (`s`), what lives in memory only (secret nonces, the
 * connection, queued messages and held actions) and the primitives every step uses: `send`, `emit`,
 * `persist` (persist before progress: a send issued while a persist is outstanding is held until it
 * is acknowledged), building a commitment and deriving this side's per-commitment secrets.
 *
 * @module
 */

import { cryptoRng, equalBytes, type Rng } from '@superscalar/core';
import { type NonceGenResult, nonceGen } from '@superscalar/musig2';
import { curve } from '@superscalar/secp';
import { commitmentIndex, generateFromSeed, ShachainStore } from '@superscalar/shachain';
import { decodeScalar, secretToPoint } from '../_ec.js';
import { type ChannelError, type ChannelErrorOrigin, IllegalStepError } from '../channelErrors.js';
import { buildCommitment, type Commitment, type FundingOutpoint } from '../commitment.js';
import { InvalidArgumentError } from '../errors.js';
import { perCommitmentPoint } from '../keys.js';
import type { ChannelMessage } from '../messages.js';
import {
  type ChannelState,
  encodeChannelState,
  type FundingRecord,
  type HolderCommitmentRecord,
} from '../state.js';
import type { LocalChanges, RemoteChanges, Side, Spec } from './_log.js';
import type { ChannelAction, ChannelEvent, ChannelOptions, ChannelSecrets } from './types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The persisted state, mutable while a step runs. */
export interface MutState
  extends Mutable<Omit<ChannelState, 'localChanges' | 'remoteChanges' | 'fundings' | 'remoteNextPoints'>> {
  localChanges: LocalChanges;
  remoteChanges: RemoteChanges;
  fundings: FundingRecord[];
  remoteNextPoints: Uint8Array[];
}

export const ZERO32 = new Uint8Array(32);

export function isBytes(v: unknown, len?: number): v is Uint8Array {
  return v instanceof Uint8Array && (len === undefined || v.length === len);
}

export function validPoint(p: unknown): p is Uint8Array {
  if (!isBytes(p, 33)) return false;
  return curve().decompress(p) !== undefined;
}

/** Thrown inside a step to reject a peer message; turned into an `error` event at the boundary. */
export class PeerFault extends Error {
  constructor(readonly error: ChannelError) {
    super(error.message);
  }
}

/** One channel's state and plumbing (see the module comment). */
export class ChannelCore {
  s: MutState;
  readonly secrets: ChannelSecrets;
  readonly rng: Rng;
  readonly options: ChannelOptions;
  readonly localFundingKey: Uint8Array;

  // In memory only (brief §7: secret nonces never touch disk; a crash loses them).
  /** Our verification nonces for our next commitments, oldest first. */
  myNonces: NonceGenResult[] = [];
  /** The counterparty's verification nonces for its next commitments, oldest first. */
  peerNonces: Uint8Array[] = [];
  rebindNonce: NonceGenResult | undefined;
  peerRebindNonce: Uint8Array | undefined;
  connected = true;
  reestablishSent = false;
  awaitingReestablish = false;
  commitWanted = false;
  quiesceWanted = false;
  /** Token of the last `persist` issued, and of the last one acknowledged (the state's revision). */
  lastIssued: number;
  lastAcked: number;
  inbox: ChannelMessage[] = [];
  outbox: { after: number; action: ChannelAction }[] = [];
  onAck: { id: number; events: ChannelEvent[] }[] = [];
  out: ChannelAction[] = [];
  openingSentCommit = false;

  constructor(state: ChannelState, secrets: ChannelSecrets, options: ChannelOptions) {
    this.s = {
      ...state,
      fundings: [...state.fundings],
      remoteNextPoints: [...state.remoteNextPoints],
      localChanges: {
        proposed: [...state.localChanges.proposed],
        signed: [...state.localChanges.signed],
        acked: [...state.localChanges.acked],
      },
      remoteChanges: {
        proposed: [...state.remoteChanges.proposed],
        acked: [...state.remoteChanges.acked],
        signed: [...state.remoteChanges.signed],
      },
      remoteSecrets: ShachainStore.decode(state.remoteSecrets.encode()),
    };
    this.lastIssued = state.revision;
    this.lastAcked = state.revision;
    this.secrets = secrets;
    this.options = options;
    this.rng = options.rng ?? cryptoRng;
    const cfg = state.config;
    this.localFundingKey = state.role === 'lsp' ? cfg.lspFundingKey : cfg.clientFundingKey;
    const derived = secretToPoint(decodeScalar(secrets.fundingSecret, 'secrets.fundingSecret'));
    if (!equalBytes(derived, this.localFundingKey))
      throw new InvalidArgumentError('secrets.fundingSecret', `is not the secret of this side's funding key`);
  }

  /** The current channel outpoint. */
  get funding(): FundingOutpoint {
    return (this.s.fundings[this.s.fundings.length - 1] as FundingRecord).outpoint;
  }

  outstanding(): boolean {
    return this.lastIssued !== this.lastAcked;
  }

  send(message: ChannelMessage) {
    const action: ChannelAction = { kind: 'send', message };
    if (this.outbox.length > 0 || this.outstanding()) this.outbox.push({ after: this.lastIssued, action });
    else this.out.push(action);
  }

  emit(event: ChannelEvent) {
    this.out.push({ kind: 'emit', event });
  }

  /** Emits once the latest persist is acknowledged (events that announce durable state). */
  emitDurable(event: ChannelEvent) {
    if (!this.outstanding()) this.emit(event);
    else this.onAck.push({ id: this.lastIssued, events: [event] });
  }

  persist(blobs: { key: string; bytes: Uint8Array }[]) {
    this.s.revision = this.lastIssued + 1;
    this.lastIssued = this.s.revision;
    this.out.push({
      kind: 'persist',
      token: this.s.revision,
      state: encodeChannelState(this.snapshot()),
      blobs,
    });
  }

  snapshot(): ChannelState {
    return { ...this.s, fundings: [...this.s.fundings], remoteNextPoints: [...this.s.remoteNextPoints] };
  }

  requireNormal() {
    if (this.s.phase !== 'normal')
      throw new IllegalStepError('phase', 'ignore', 'local', `the channel is ${this.s.phase}, not open`);
  }

  requireLocal(): HolderCommitmentRecord {
    const lc = this.s.localCommit;
    if (lc === null) throw new IllegalStepError('phase', 'ignore', 'local', 'no holder commitment yet');
    return lc;
  }

  peerError(make: (origin: ChannelErrorOrigin) => ChannelError): never {
    throw new PeerFault(make('peer'));
  }

  /**
   * Commitments built, by the spec object they were built from (memory only): the counterparty's
   * commitment signed in one cycle is built again for its penalties when it is revoked in the next,
   * from the same spec object. A hit needs the same holder, number, point and outpoint too.
   */
  readonly built = new WeakMap<Spec, Commitment[]>();

  build(holder: Side, number: number, point: Uint8Array, spec: Spec, funding: FundingOutpoint): Commitment {
    const seen = this.built.get(spec);
    const hit = seen?.find(
      (c) =>
        c.holder === holder &&
        c.commitmentNumber === number &&
        c.funding.vout === funding.vout &&
        c.funding.txid === funding.txid &&
        c.funding.amount === funding.amount &&
        equalBytes(c.perCommitmentPoint, point),
    );
    if (hit !== undefined) return hit;
    const c = this.buildFresh(holder, number, point, spec, funding);
    if (seen === undefined) this.built.set(spec, [c]);
    else seen.push(c);
    return c;
  }

  private buildFresh(
    holder: Side,
    number: number,
    point: Uint8Array,
    spec: Spec,
    funding: FundingOutpoint,
  ): Commitment {
    return buildCommitment(this.s.config, funding, {
      holder,
      commitmentNumber: number,
      perCommitmentPoint: point,
      lspBalanceMsat: spec.lspMsat,
      clientBalanceMsat: spec.clientMsat,
      htlcs: spec.htlcs,
      feeRate: spec.feeRate,
    });
  }

  /**
   * This side's per-commitment secrets and points by commitment number (memory only, the last few):
   * a cycle derives the same ones several times (the point of commitment n when it is signed, again
   * for the next revocation's point, the secret when it is revoked), each a shachain derivation of up
   * to 48 hashes plus a base multiplication. They are derived from the seed this object holds anyway.
   */
  readonly #perCommitment = new Map<number, { secret: Uint8Array; point?: Uint8Array }>();

  #perCommitmentEntry(number: number): { secret: Uint8Array; point?: Uint8Array } {
    let e = this.#perCommitment.get(number);
    if (e === undefined) {
      e = { secret: generateFromSeed(this.secrets.shachainSeed, commitmentIndex(number)) };
      this.#perCommitment.set(number, e);
      if (this.#perCommitment.size > 8) {
        const oldest = this.#perCommitment.keys().next().value as number;
        this.#perCommitment.delete(oldest);
      }
    }
    return e;
  }

  localSecret(number: number): Uint8Array {
    return Uint8Array.from(this.#perCommitmentEntry(number).secret);
  }

  localPoint(number: number): Uint8Array {
    const e = this.#perCommitmentEntry(number);
    e.point ??= perCommitmentPoint(e.secret);
    return Uint8Array.from(e.point);
  }

  freshNonce(): NonceGenResult {
    return nonceGen({ pk: this.localFundingKey, sk: this.secrets.fundingSecret, rng: this.rng });
  }

  noPendingUpdates(): boolean {
    const l = this.s.localChanges;
    const r = this.s.remoteChanges;
    return (
      l.proposed.length +
        l.signed.length +
        l.acked.length +
        r.proposed.length +
        r.acked.length +
        r.signed.length ===
        0 && this.s.nextRemoteCommit === null
    );
  }
}
