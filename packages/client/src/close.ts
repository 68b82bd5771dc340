/**
 * The client's side of the cooperative close (brief §6; roles memo §3 step 11) as a pure, sans-IO
 * session: wire messages and values in, wire messages and a signed transaction out. No I/O, no clock,
 * no store; randomness is injected. One session is one `close_propose` (one **attempt**).
 *
 * Created from the LSP's `close_propose`, it rebuilds the close transaction itself from the factory's
 * proposal and the message's outputs, tip and fee rate, and refuses ({@link CloseRefusedError}) unless
 * **its own output pays its own close address at least its channel balance** — an output of that size
 * to anyone else, the LSP included, does not count (brief §12 flaw 6: the C client accepts it) — and
 * unless the proposal is well formed: the outputs are exactly brief §6's construction (clients in
 * placement order at their close addresses, dust left out, then the LSP's close address with the rest
 * minus the fee at `closeFeeRate`), the fee rate is within the caller's cap and the nLockTime near the
 * client's tip. Then it draws one fresh nonce (the secret stays in memory, used once) for
 * `close_nonce`, answers one `close_agg_nonce` with `close_psig` (a second one is refused: one nonce
 * never signs twice), and checks `close_done`'s signature against the transaction it checked and the
 * funding output key before returning the signed transaction.
 *
 * A fee bump is a new `close_propose` with a higher attempt: a new session, checked from scratch.
 *
 * @module
 */
import { asserters, equalBytes, fromHex, type Rng, reversed, toHex } from '@superscalar/core';
import {
  buildClientPath,
  type ClientSigningState,
  CloseRejectedError,
  COOPERATIVE_CLOSE_SEQUENCE,
  COOPERATIVE_CLOSE_VERSION,
  type CooperativeClose,
  checkCooperativeClose,
  clientJobsRound1,
  clientJobsRound2,
  type FactoryOutline,
  type Proposal,
  SigningError,
  signedCloseBytes,
} from '@superscalar/factory-tree';
import { Signer, schnorrVerify } from '@superscalar/musig2';
import {
  type CloseAggNonce,
  type CloseDone,
  type CloseNonce,
  type ClosePropose,
  type ClosePsig,
  factoryIdOf,
} from '@superscalar/wire';
import { bytesField, CloseFaults, checkPropose, rebuild } from './_closeCheck.js';
import { CloseRefusedError, CloseSignatureError, InvalidArgumentError } from './errors.js';

const check = asserters((argument, message) => new InvalidArgumentError(argument, message));

/** What {@link ClientCloseSession} is created from. */
export interface ClientCloseOptions {
  /** The LSP's `close_propose` (attempt ≥ 1). */
  readonly message: ClosePropose;
  /** The factory's proposal (as agreed at creation). */
  readonly proposal: Proposal;
  /**
   * The client's `ClientPath` (`buildClientPath(proposal, clientIndex)`) when the caller has it, or any
   * `FactoryOutline` built from `proposal`; built here (O(depth)) otherwise. The whole tree is never
   * needed.
   */
  readonly path?: FactoryOutline;
  /** The client's index in `proposal.clients`. */
  readonly clientIndex: number;
  /** Its factory secret key (32 bytes; its public key is `proposal.clients[clientIndex].key`). */
  readonly factorySecretKey: Uint8Array;
  /** Its own channel balance in sats (from its own channel state, never from the LSP). */
  readonly balance: bigint;
  /** Its own close script (from its own keychain); the proposal must name the same one. */
  readonly closeScript: Uint8Array;
  /** The LSP's node id (lower-case hex): the peer the session's errors name. */
  readonly lspNodeId: string;
  /** The client's chain tip height. */
  readonly tipHeight: number;
  /** The highest close fee rate it accepts, sat/kvB. */
  readonly maxCloseFeeRate: number;
  /** How far the nLockTime may be above `tipHeight` (default 1: the LSP saw a block first). */
  readonly maxLockTimeAhead?: number;
  /** How far the nLockTime may be below `tipHeight` (default 6: the client saw blocks first). */
  readonly maxLockTimeBehind?: number;
  /** Randomness for the nonce (hedged with the key and the message, BIP327 NonceGen). */
  readonly rng: Rng;
}

/** A completed close, client side. */
export interface ClientCloseResult {
  /** The signed transaction (key-path witness): the client may broadcast it too. */
  readonly raw: Uint8Array;
  /** Its txid, display-order hex. */
  readonly txid: string;
}

/** Where a {@link ClientCloseSession} is. */
export type ClientClosePhase = 'awaiting-agg-nonce' | 'awaiting-done' | 'complete';

/** One attempt of the cooperative close, client side. See the module documentation. */
export class ClientCloseSession {
  /** `factoryIdOf(proposal)`. */
  readonly factoryId: Uint8Array;
  /** The attempt of the `close_propose`. */
  readonly attempt: number;
  /** The close as the client rebuilt and checked it. */
  readonly close: CooperativeClose;
  /** What the close pays the client's own close address (0 when its balance is below dust). */
  readonly ownOutput: bigint;
  readonly #outline: FactoryOutline;
  readonly #faults: CloseFaults;
  readonly #nonce: CloseNonce;
  readonly #state: ClientSigningState;
  #phase: ClientClosePhase = 'awaiting-agg-nonce';
  #aggnonce: Uint8Array | undefined;
  #signature: Uint8Array | undefined;

  /**
   * Checks the proposed close and draws this attempt's nonce.
   *
   * @throws {CloseRefusedError} the close does not pay the client's own close address at least its
   *   balance, or is not well formed (do not sign; keep the factory open).
   * @throws {UnexpectedMessageError} a message for another factory, a close request (attempt 0) or
   *   malformed fields (consequence `disconnect`).
   * @throws {InvalidArgumentError} malformed options, a secret key or close script that is not the
   *   proposal's for `clientIndex`, or a `path` not built from `proposal`.
   */
  constructor(options: ClientCloseOptions) {
    if (typeof options !== 'object' || options === null)
      throw new InvalidArgumentError('options', 'expected ClientCloseOptions');
    const { proposal, path, message } = options;
    if (typeof proposal !== 'object' || proposal === null || !Array.isArray(proposal.clients))
      throw new InvalidArgumentError('options.proposal', 'expected the factory proposal');
    const rng = check.fn<Rng>(options.rng, 'options.rng');
    const me = check.int(options.clientIndex, 0, proposal.clients.length - 1, 'options.clientIndex');
    const spec = proposal.clients[me] as Proposal['clients'][number];
    const balance = check.sats(options.balance, 'options.balance');
    const tip = check.int(options.tipHeight, 0, 499_999_999, 'options.tipHeight');
    const maxRate = check.int(options.maxCloseFeeRate, 0, 100_000_000, 'options.maxCloseFeeRate');
    const ahead = check.int(options.maxLockTimeAhead ?? 1, 0, 1_000_000, 'options.maxLockTimeAhead');
    const behind = check.int(options.maxLockTimeBehind ?? 6, 0, 1_000_000, 'options.maxLockTimeBehind');
    const sk = check.bytes(options.factorySecretKey, 32, 'options.factorySecretKey');
    let signer: Signer;
    try {
      signer = new Signer(sk);
    } catch (e) {
      throw new InvalidArgumentError('options.factorySecretKey', 'not a valid secret key', { cause: e });
    }
    if (!equalBytes(signer.publicKey, spec.key))
      throw new InvalidArgumentError('options.factorySecretKey', `is not the key of clients[${me}]`);
    if (!equalBytes(check.bytes(options.closeScript, undefined, 'options.closeScript'), spec.closeScript))
      throw new InvalidArgumentError('options.closeScript', `the proposal names another for clients[${me}]`);
    if (path !== undefined && (typeof path !== 'object' || path === null || path.proposal !== proposal))
      throw new InvalidArgumentError('options.path', 'must be built from options.proposal');

    if (typeof options.lspNodeId !== 'string' || options.lspNodeId.length === 0)
      throw new InvalidArgumentError('options.lspNodeId', "expected the LSP's node id");
    this.factoryId = factoryIdOf(proposal);
    this.#faults = new CloseFaults(options.lspNodeId, toHex(this.factoryId));
    this.attempt = checkPropose(message, this.factoryId, this.#faults);
    const at = this.attempt;
    if (message.tipHeight > tip + ahead || message.tipHeight < tip - behind)
      throw new CloseRefusedError(
        'lock-time',
        at,
        `nLockTime ${message.tipHeight} is not within [${tip - behind}, ${tip + ahead}] of the tip ${tip}`,
      );
    if (message.closeFeeRate > maxRate)
      throw new CloseRefusedError('fee-too-high', at, `${message.closeFeeRate} sat/kvB is above ${maxRate}`);
    this.#outline = path ?? buildClientPath(proposal, me);

    // 1. Its own output, on the transaction exactly as proposed (brief §6, flaw 6).
    const outputs = message.outputs.map((o) => ({ value: o.amount, script: Uint8Array.from(o.script) }));
    const tx = {
      version: COOPERATIVE_CLOSE_VERSION,
      locktime: message.tipHeight,
      inputs: [
        {
          txidBytes: reversed(fromHex(proposal.funding.txid)),
          vout: proposal.funding.vout,
          sequence: COOPERATIVE_CLOSE_SEQUENCE,
        },
      ],
      outputs,
    };
    try {
      checkCooperativeClose(this.#outline, { client: me, balance, tx });
    } catch (e) {
      if (CloseRejectedError.isInstance(e)) throw new CloseRefusedError(e.fault, at, e.message, { cause: e });
      throw e;
    }
    // 2. The whole transaction is §6's construction from these outputs.
    this.close = rebuild(this.#outline, message, at);
    const own = outputs.find((o) => equalBytes(o.script, spec.closeScript));
    this.ownOutput = own === undefined ? 0n : own.value;

    const r = clientJobsRound1({
      participant: me + 1,
      secretKey: sk,
      jobs: [{ index: 0, job: this.close.job }],
      rng,
    });
    sk.fill(0);
    this.#state = r.state;
    this.#nonce = {
      type: 'close_nonce',
      factoryId: this.factoryId,
      attempt: at,
      pubnonce: r.nonces.pubnonces[0] as Uint8Array,
    };
  }

  /** Where the session is. */
  get phase(): ClientClosePhase {
    return this.#phase;
  }

  /** This attempt's `close_nonce` (one nonce, drawn at creation; the same message on every call). */
  nonce(): CloseNonce {
    return { ...this.#nonce, pubnonce: Uint8Array.from(this.#nonce.pubnonce) };
  }

  /**
   * Signs the checked close with the LSP's aggregate nonce: the `close_psig` to send. Once per
   * session: the nonce is spent.
   *
   * @throws {StaleMessageError} the same `close_agg_nonce` again, or one of an older attempt (`ignore`).
   * @throws {UnexpectedMessageError} another factory, another attempt, a second, different aggregate
   *   nonce (never signed: one nonce, one signature), or an aggregate nonce that does not decode
   *   (`disconnect`).
   */
  sign(message: CloseAggNonce): ClosePsig {
    this.#envelope(message, 'close_agg_nonce');
    const aggnonce = bytesField(message.aggnonce, 66, 'aggnonce', this.#faults);
    if (this.#aggnonce !== undefined) {
      if (equalBytes(this.#aggnonce, aggnonce))
        throw this.#faults.stale('duplicate', 'close_agg_nonce already answered');
      throw this.#faults.unexpected(
        'conflicting',
        'a second, different close_agg_nonce: the nonce is spent and signs once',
      );
    }
    let psig: Uint8Array;
    try {
      psig = clientJobsRound2(this.#state, {
        participant: this.#state.participant,
        jobs: [0],
        aggnonces: [aggnonce],
      }).psigs[0] as Uint8Array;
    } catch (e) {
      if (SigningError.isInstance(e))
        throw this.#faults.unexpected('malformed', `close_agg_nonce: ${e.message}`, e);
      throw e;
    }
    this.#aggnonce = aggnonce;
    this.#phase = 'awaiting-done';
    return { type: 'close_psig', factoryId: this.factoryId, attempt: this.attempt, psig };
  }

  /**
   * Checks `close_done`: its signature must be valid for the close this session checked, under the
   * funding output key. Returns the signed transaction.
   *
   * @throws {CloseSignatureError} the signature does not verify.
   * @throws {StaleMessageError} the same `close_done` again, or one of an older attempt (`ignore`).
   * @throws {UnexpectedMessageError} another factory or attempt, a `close_done` before this client
   *   signed, a different second one, or a signature that is not 64 bytes (`disconnect`).
   */
  complete(message: CloseDone): ClientCloseResult {
    this.#envelope(message, 'close_done');
    const signature = bytesField(message.signature, 64, 'signature', this.#faults);
    if (this.#phase === 'awaiting-agg-nonce')
      throw this.#faults.unexpected('out-of-order', 'close_done before this client signed');
    if (this.#signature !== undefined) {
      if (equalBytes(this.#signature, signature))
        throw this.#faults.stale('duplicate', 'close_done already received');
      throw this.#faults.unexpected('conflicting', 'a second, different close_done');
    }
    if (!schnorrVerify(signature, this.close.sighash, this.#outline.funding.outputKey))
      throw new CloseSignatureError(
        this.attempt,
        `close_done: the signature is not valid for close ${this.close.txid} under the funding key`,
      );
    this.#signature = signature;
    this.#phase = 'complete';
    return { raw: signedCloseBytes(this.close, signature), txid: this.close.txid };
  }

  #envelope(message: { type: string; factoryId: Uint8Array; attempt: number }, type: string): void {
    if (typeof message !== 'object' || message === null || message.type !== type)
      throw new InvalidArgumentError('message', `expected a ${type} message`);
    if (!(message.factoryId instanceof Uint8Array) || !equalBytes(message.factoryId, this.factoryId))
      throw this.#faults.unexpected('wrong-factory', `${type} names another factory`);
    if (!Number.isInteger(message.attempt))
      throw this.#faults.unexpected('malformed', `${type}: attempt is not an integer`);
    if (message.attempt < this.attempt)
      throw this.#faults.stale(
        'old-attempt',
        `${type} of attempt ${message.attempt}, this is attempt ${this.attempt}`,
      );
    if (message.attempt > this.attempt)
      throw this.#faults.unexpected(
        'future-attempt',
        `${type} of attempt ${message.attempt}, this session is attempt ${this.attempt}`,
      );
  }
}
