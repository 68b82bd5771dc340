/**
 * The LSP's side of the cooperative close (brief §6; roles memo §3 step 11) as a pure, sans-IO
 * session: wire messages and values in, wire messages and a signed transaction out. No I/O, no clock,
 * no store; randomness is injected. One session is one **attempt**: the LSP builds the close with
 * factory-tree's `buildCooperativeClose` (outputs: each client whose balance is at least 330 sats, in
 * placement order, at its close address, then the LSP's close address with the rest minus the fee;
 * nLockTime = the tip; nSequence `0xFFFFFFFD`; version 2), sends every client the same
 * {@link LspCloseSession.propose | close_propose}, collects one `close_nonce` per client, then signs
 * last and statelessly (brief §8 step 3: BIP327 `DeterministicSign` over the aggregate of the
 * clients' nonces, so it never holds a secret nonce) and sends every client the same
 * `close_agg_nonce`; it collects one `close_psig` per client, aggregates, verifies the BIP340
 * signature against the funding output key and returns the signed transaction and `close_done`. A
 * bad partial signature ends the attempt with a {@link CloseBlameError} naming the participant
 * (brief §8 step 4).
 *
 * **Fee bump** (and retry after blame): a new session with `attempt + 1` (and a higher
 * `closeFeeRate`); every client re-checks and re-signs. Messages of the old attempt are stale for the
 * new session. Both transactions pay every client at least its balance and spend the same funding
 * output (nSequence `0xFFFFFFFD` signals replaceability), so whichever confirms is a valid close.
 *
 * What the machine does around it (not here): quiesce every channel with no HTLC first, persist
 * before sending and before broadcasting, time out missing clients ({@link LspCloseSession.missing}).
 *
 * @module
 */
import { asserters, equalBytes, type Rng, toHex } from '@superscalar/core';
import {
  buildCooperativeClose,
  buildTree,
  type CooperativeClose,
  type FactoryTree,
  type JobNonces,
  type LspSigningState,
  lspAggregateJobs,
  lspSignJobs,
  type Proposal,
  SigningError,
  signedCloseBytes,
} from '@superscalar/factory-tree';
import { DeterministicSigner, decodePubnonce, schnorrVerify } from '@superscalar/musig2';
import {
  type CloseAggNonce,
  type CloseDone,
  type CloseNonce,
  type ClosePropose,
  type ClosePsig,
  factoryIdOf,
} from '@superscalar/wire';
import {
  CloseBlameError,
  InvalidArgumentError,
  type StaleFault,
  StaleMessageError,
  type UnexpectedFault,
  UnexpectedMessageError,
} from './errors.js';

const check = asserters((argument, message) => new InvalidArgumentError(argument, message));

/** The largest close attempt (`attempt` is a u16 on the wire). */
export const MAX_CLOSE_ATTEMPT = 0xffff;

/** What {@link LspCloseSession} is built from. */
export interface LspCloseOptions {
  /** The factory's proposal (as agreed at creation). */
  readonly proposal: Proposal;
  /** `buildTree(proposal)` when the caller has it (skips rebuilding it); must be built from `proposal`. */
  readonly tree?: FactoryTree;
  /** The LSP's factory secret key (32 bytes; its public key is `proposal.lsp.key`). Copied. */
  readonly lspSecretKey: Uint8Array;
  /** This close attempt, 1..65535 (0 is a client's close request). A fee bump is attempt + 1. */
  readonly attempt: number;
  /** The chain tip height: the close's nLockTime. */
  readonly tipHeight: number;
  /** The close's fee rate, sat/kvB. */
  readonly closeFeeRate: number;
  /** Each client's channel balance in sats, indexed like `proposal.clients` (read from its channel). */
  readonly balances: readonly bigint[];
  /** Each client's node id (lower-case hex), indexed like `proposal.clients`: named in the errors. */
  readonly peers: readonly string[];
  /** Randomness for the batch verification of the aggregate signature. */
  readonly rng: Rng;
}

/** A completed close: what to persist, broadcast and send. */
export interface LspCloseResult {
  /** The signed transaction (key-path witness), ready to broadcast. */
  readonly raw: Uint8Array;
  /** Its txid, display-order hex. */
  readonly txid: string;
  /** The aggregate BIP340 signature (64 bytes). */
  readonly signature: Uint8Array;
  /** The message every client gets. */
  readonly done: CloseDone;
}

/** Where an {@link LspCloseSession} is. */
export type LspClosePhase = 'collecting-nonces' | 'collecting-psigs' | 'complete' | 'failed';

/** One attempt of the cooperative close, LSP side. See the module documentation. */
export class LspCloseSession {
  /** `factoryIdOf(proposal)`. */
  readonly factoryId: Uint8Array;
  /** This attempt (≥ 1). */
  readonly attempt: number;
  /** The tip height of the proposal: the close's nLockTime. */
  readonly tipHeight: number;
  /** The close's fee rate, sat/kvB. */
  readonly closeFeeRate: number;
  /** The unsigned close: tx, txid, fee, vsize, outputs with owners, dust balances left to the LSP. */
  readonly close: CooperativeClose;
  readonly #tree: FactoryTree;
  readonly #n: number;
  readonly #peers: readonly string[];
  readonly #idHex: string;
  #secretKey: Uint8Array;
  readonly #rng: Rng;
  readonly #nonces: (Uint8Array | undefined)[];
  readonly #psigs: (Uint8Array | undefined)[];
  #phase: LspClosePhase = 'collecting-nonces';
  #signing: LspSigningState | undefined;
  #aggNonce: CloseAggNonce | undefined;
  #result: LspCloseResult | undefined;

  /**
   * Builds the close of this attempt.
   *
   * @throws {InvalidArgumentError} a malformed option, a secret key that is not `proposal.lsp.key`'s,
   *   or a `tree` not built from `proposal`.
   * @throws factory-tree's `SpendError` (`TREE_SPEND_INVALID`) when the close cannot be built: the
   *   LSP's output below 330 sats after the balances and the fee, or above 100,000 vB.
   */
  constructor(options: LspCloseOptions) {
    if (typeof options !== 'object' || options === null)
      throw new InvalidArgumentError('options', 'expected LspCloseOptions');
    const { proposal, tree, attempt, tipHeight, closeFeeRate, balances } = options;
    this.attempt = check.int(attempt, 1, MAX_CLOSE_ATTEMPT, 'options.attempt');
    this.#rng = check.fn<Rng>(options.rng, 'options.rng');
    const sk = check.bytes(options.lspSecretKey, 32, 'options.lspSecretKey');
    let pk: Uint8Array;
    try {
      pk = new DeterministicSigner(sk).publicKey;
    } catch (e) {
      throw new InvalidArgumentError('options.lspSecretKey', 'not a valid secret key', { cause: e });
    }
    if (tree !== undefined && (typeof tree !== 'object' || tree === null || tree.proposal !== proposal))
      throw new InvalidArgumentError('options.tree', 'must be buildTree(options.proposal)');
    this.#tree = tree ?? buildTree(proposal);
    if (!equalBytes(pk, proposal.lsp.key))
      throw new InvalidArgumentError('options.lspSecretKey', "is not the key of the proposal's LSP");
    this.close = buildCooperativeClose(this.#tree, { balances, tipHeight, closeFeeRate });
    this.tipHeight = tipHeight;
    this.closeFeeRate = closeFeeRate;
    this.factoryId = factoryIdOf(proposal);
    this.#idHex = toHex(this.factoryId);
    this.#secretKey = sk;
    this.#n = proposal.clients.length;
    const peers = options.peers;
    if (
      !Array.isArray(peers) ||
      peers.length !== this.#n ||
      peers.some((p) => typeof p !== 'string' || p.length === 0)
    )
      throw new InvalidArgumentError('options.peers', `expected ${this.#n} node ids, one per client`);
    this.#peers = [...peers];
    this.#nonces = new Array(this.#n).fill(undefined);
    this.#psigs = new Array(this.#n).fill(undefined);
  }

  /** Where the session is. */
  get phase(): LspClosePhase {
    return this.#phase;
  }

  /** The clients (indices into `clients[]`) whose message of the current step is missing. */
  missing(): number[] {
    const have =
      this.#phase === 'collecting-nonces'
        ? this.#nonces
        : this.#phase === 'collecting-psigs'
          ? this.#psigs
          : [];
    return have.flatMap((v, i) => (v === undefined ? [i] : []));
  }

  /** The `close_propose` every client gets (the same message for all). */
  propose(): ClosePropose {
    const { tx } = this.close;
    return {
      type: 'close_propose',
      factoryId: Uint8Array.from(this.factoryId),
      attempt: this.attempt,
      tipHeight: tx.locktime,
      closeFeeRate: this.closeFeeRate,
      outputs: tx.outputs.map((o) => ({ script: Uint8Array.from(o.script), amount: o.value })),
    };
  }

  /** The `close_agg_nonce` every client gets, once every nonce is in (for a resend), else undefined. */
  get aggNonce(): CloseAggNonce | undefined {
    return this.#aggNonce;
  }

  /** The completed close, once every partial signature aggregated and verified, else undefined. */
  get result(): LspCloseResult | undefined {
    return this.#result;
  }

  /**
   * Takes client `client`'s `close_nonce`. When it is the last one, the LSP signs (DeterministicSign)
   * and returns the `close_agg_nonce` to send to **every** client; before that, null.
   *
   * @throws {StaleMessageError} a duplicate, or a message of an older attempt (consequence `ignore`).
   * @throws {UnexpectedMessageError} another factory, a later attempt, a nonce that differs from the
   *   client's earlier one, or an undecodable nonce (consequence `disconnect`: `error`, then close).
   * @throws {InvalidArgumentError} `client` is not an index into `clients[]` (a caller bug).
   * @throws {CloseBlameError} the clients' nonces aggregate to nothing usable (no one can be blamed):
   *   the attempt failed.
   */
  receiveNonce(client: number, message: CloseNonce): CloseAggNonce | null {
    this.#envelope(client, message, 'close_nonce');
    const pubnonce = this.#field(client, message.pubnonce, 66, 'pubnonce');
    this.#repeat(client, this.#nonces[client], pubnonce, 'close_nonce');
    if (this.#phase !== 'collecting-nonces') throw this.#over(client, 'close_nonce');
    try {
      decodePubnonce(pubnonce, client + 1);
    } catch (e) {
      throw this.#unexpected('malformed', client, 'close_nonce: the public nonce does not decode', e);
    }
    this.#nonces[client] = pubnonce;
    if (this.missing().length > 0) return null;
    const nonces: JobNonces[] = this.#nonces.map((pn, i) => ({
      participant: i + 1,
      jobs: [0],
      pubnonces: [pn as Uint8Array],
    }));
    try {
      const signed = lspSignJobs({ jobs: [this.close.job], lspSecretKey: this.#secretKey, nonces });
      this.#signing = signed.state;
      // One job signed by all N + 1: every client gets the same aggregate nonce.
      const aggnonce = signed.aggNonces[0]?.aggnonces[0] as Uint8Array;
      this.#aggNonce = {
        type: 'close_agg_nonce',
        factoryId: this.factoryId,
        attempt: this.attempt,
        aggnonce,
      };
    } catch (e) {
      this.#phase = 'failed';
      throw blame(e, this.attempt);
    } finally {
      this.#secretKey.fill(0);
    }
    this.#phase = 'collecting-psigs';
    return this.#aggNonce;
  }

  /**
   * Takes client `client`'s `close_psig`. When it is the last one, aggregates, verifies the BIP340
   * signature against the funding output key and returns the signed close; before that, null.
   *
   * @throws {StaleMessageError} a duplicate, or a message of an older or failed attempt (`ignore`).
   * @throws {UnexpectedMessageError} another factory, a later attempt, a partial signature before the
   *   aggregate nonce was sent, or one that differs from the client's earlier one (`disconnect`).
   * @throws {InvalidArgumentError} `client` is not an index into `clients[]` (a caller bug).
   * @throws {CloseBlameError} a partial signature is invalid: `blamed` names its participant (0 =
   *   LSP, i + 1 = clients[i]); the attempt failed.
   */
  receivePsig(client: number, message: ClosePsig): LspCloseResult | null {
    this.#envelope(client, message, 'close_psig');
    const psig = this.#field(client, message.psig, 32, 'psig');
    this.#repeat(client, this.#psigs[client], psig, 'close_psig');
    if (this.#phase === 'collecting-nonces')
      throw this.#unexpected('out-of-order', client, 'close_psig before close_agg_nonce was sent');
    if (this.#phase !== 'collecting-psigs') throw this.#over(client, 'close_psig');
    this.#psigs[client] = psig;
    if (this.missing().length > 0) return null;
    return this.#complete();
  }

  #complete(): LspCloseResult {
    let signature: Uint8Array;
    try {
      const partials = this.#psigs.map((p, i) => ({
        participant: i + 1,
        jobs: [0],
        psigs: [p as Uint8Array],
      }));
      signature = lspAggregateJobs(this.#signing as LspSigningState, partials, {
        rng: this.#rng,
      })[0] as Uint8Array;
    } catch (e) {
      this.#phase = 'failed';
      throw blame(e, this.attempt);
    }
    // Stricter than needed (lspAggregateJobs verified it against the job's key): check the signature
    // against the funding output key itself before anything is released.
    if (!schnorrVerify(signature, this.close.sighash, this.#tree.funding.outputKey)) {
      this.#phase = 'failed';
      throw new CloseBlameError(null, this.attempt, 'the aggregate signature does not verify');
    }
    this.#phase = 'complete';
    const done: CloseDone = {
      type: 'close_done',
      factoryId: this.factoryId,
      attempt: this.attempt,
      signature,
    };
    const result: LspCloseResult = Object.freeze({
      raw: signedCloseBytes(this.close, signature),
      txid: this.close.txid,
      signature,
      done,
    });
    this.#result = result;
    return result;
  }

  #envelope(client: number, message: { type: string; factoryId: Uint8Array; attempt: number }, type: string) {
    if (typeof message !== 'object' || message === null || message.type !== type)
      throw new InvalidArgumentError('message', `expected a ${type} message`);
    if (!Number.isInteger(client) || client < 0 || client >= this.#n)
      throw new InvalidArgumentError('client', `${String(client)} is not an index into clients[]`);
    if (!(message.factoryId instanceof Uint8Array) || !equalBytes(message.factoryId, this.factoryId))
      throw this.#unexpected('wrong-factory', client, `${type} names another factory`);
    if (!Number.isInteger(message.attempt))
      throw this.#unexpected('malformed', client, `${type}: attempt is not an integer`);
    if (message.attempt < this.attempt)
      throw this.#stale(
        'old-attempt',
        client,
        `${type} of attempt ${message.attempt}, this is attempt ${this.attempt}`,
      );
    if (message.attempt > this.attempt)
      throw this.#unexpected(
        'future-attempt',
        client,
        `${type} of attempt ${message.attempt}, only attempt ${this.attempt} was proposed`,
      );
  }

  #field(client: number, v: unknown, length: number, name: string): Uint8Array {
    if (!(v instanceof Uint8Array) || v.length !== length)
      throw this.#unexpected('malformed', client, `${name}: expected ${length} bytes`);
    return Uint8Array.from(v);
  }

  // A second message of a step: the same bytes are a harmless duplicate, other bytes equivocation.
  #repeat(client: number, had: Uint8Array | undefined, got: Uint8Array, type: string): void {
    if (had === undefined) return;
    if (equalBytes(had, got)) throw this.#stale('duplicate', client, `${type} already received`);
    throw this.#unexpected('conflicting', client, `${type} differs from the one already received`);
  }

  #over(client: number, type: string): StaleMessageError {
    return this.#stale('old-attempt', client, `${type}: attempt ${this.attempt} is ${this.#phase}`);
  }

  #stale(fault: StaleFault, client: number, message: string): StaleMessageError {
    return new StaleMessageError(this.#peers[client] as string, message, { factoryId: this.#idHex, fault });
  }

  #unexpected(
    fault: UnexpectedFault,
    client: number,
    message: string,
    cause?: unknown,
  ): UnexpectedMessageError {
    return new UnexpectedMessageError(this.#peers[client] as string, message, {
      factoryId: this.#idHex,
      consequence: 'disconnect',
      fault,
      ...(cause === undefined ? {} : { cause }),
    });
  }
}

function blame(e: unknown, attempt: number): unknown {
  if (!SigningError.isInstance(e)) return e;
  const who = e.signer === null ? 'nobody can be named' : `participant ${e.signer} blamed`;
  return new CloseBlameError(e.signer, attempt, `close attempt ${attempt} failed (${who}): ${e.message}`, {
    cause: e,
  });
}
