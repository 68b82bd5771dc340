/**
 * The secp256k1 handshake as BOLT 8 frames it ("Authenticated Key Exchange Handshake"): each act is
 * a 1-byte handshake version (0) followed by the Noise message with an empty payload, so every act
 * has a fixed length (NK: 50 + 50 bytes; XK: 50 + 50 + 66 bytes). Completes into a
 * {@link TransportCipher} with BOLT 8 key rotation (every 1,000 uses of a key).
 *
 * Defaults: pattern NK, protocol name `Noise_<pattern>_secp256k1_ChaChaPoly_SHA256`, prologue
 * `superscalar-ts/1`. BOLT 8 itself is XK with prologue `lightning`.
 */
import { cryptoRng, type Rng } from '@superscalar/core';
import { defaultAead } from '#aead';
import { check, EMPTY } from './_assert.js';
import type { Aead } from './aead.js';
import { type Dh, secp256k1Dh } from './dh.js';
import { HandshakeError, InvalidArgumentError, StateError } from './errors.js';
import { HandshakeState, type PatternName } from './handshakeState.js';
import { TransportCipher } from './transportCipher.js';

/** The default prologue: `superscalar-ts/1`. */
export const DEFAULT_PROLOGUE: Uint8Array = new TextEncoder().encode('superscalar-ts/1');
/** The handshake version byte that prefixes every act (BOLT 8: 0). */
export const HANDSHAKE_VERSION = 0;
/** BOLT 8's key rotation interval: a key is replaced after this many uses. */
export const KEY_ROTATION_INTERVAL = 1000;

/** The default protocol name for a pattern: `Noise_<pattern>_secp256k1_ChaChaPoly_SHA256`. */
export function protocolNameFor(pattern: PatternName, dh: Dh = secp256k1Dh): string {
  return `Noise_${pattern}_${dh.name}_ChaChaPoly_SHA256`;
}

/** Options shared by both roles. */
export interface HandshakeCommonOptions {
  /** `NK` (default) or `XK` (BOLT 8, mutual authentication). */
  readonly pattern?: 'NK' | 'XK' | undefined;
  /** Prologue; default `superscalar-ts/1`. Both sides must agree. */
  readonly prologue?: Uint8Array | undefined;
  /** Protocol name; default `Noise_<pattern>_secp256k1_ChaChaPoly_SHA256`. */
  readonly protocolName?: string | undefined;
  /** Randomness for the ephemeral key; default a CSPRNG. Inject only in tests. */
  readonly rng?: Rng | undefined;
  /** AEAD backend; default `node:crypto` under Node, @noble/ciphers elsewhere. */
  readonly aead?: Aead | undefined;
  /** Largest transport message accepted and sent (≤ 65,535, the default). */
  readonly maxMessageSize?: number | undefined;
}

/** Options of the initiator (the client). */
export interface InitiatorOptions extends HandshakeCommonOptions {
  /** The responder's 33-byte compressed static public key (from `pubkey@host:port`). */
  readonly remoteStatic: Uint8Array;
  /** Our 32-byte static private key; required for XK, unused for NK. */
  readonly localStatic?: Uint8Array | undefined;
}

/** Options of the responder (the server). */
export interface ResponderOptions extends HandshakeCommonOptions {
  /** Our 32-byte static private key. */
  readonly localStatic: Uint8Array;
}

/** A finished handshake. */
export interface HandshakeOutcome {
  /** The framed transport cipher (send and receive directions). */
  readonly transport: TransportCipher;
  /** The final handshake hash: bind identity proofs to it (brief §10). */
  readonly handshakeHash: Uint8Array;
  /** The peer's static key: the responder's for an initiator; the initiator's in XK; else undefined. */
  readonly remoteStatic: Uint8Array | undefined;
}

/**
 * A secp256k1 handshake with fixed-length, version-prefixed acts (sans-IO: bytes in, bytes out).
 * Use {@link Handshake.initiator} / {@link Handshake.responder}; then alternate
 * {@link Handshake.writeAct} and {@link Handshake.readAct} (check {@link Handshake.isMyTurn}) until
 * {@link Handshake.isComplete}; then take {@link Handshake.outcome}.
 */
export class Handshake {
  readonly #hs: HandshakeState;
  readonly #maxMessageSize: number | undefined;
  #outcome: HandshakeOutcome | undefined;

  private constructor(hs: HandshakeState, maxMessageSize: number | undefined) {
    this.#hs = hs;
    this.#maxMessageSize = maxMessageSize;
  }

  /** Starts the initiator's side. */
  static initiator(options: InitiatorOptions): Handshake {
    checkOptions(options);
    return Handshake.#create(true, options, options.localStatic, options.remoteStatic);
  }

  /** Starts the responder's side. */
  static responder(options: ResponderOptions): Handshake {
    checkOptions(options);
    return Handshake.#create(false, options, options.localStatic, undefined);
  }

  static #create(
    initiator: boolean,
    o: HandshakeCommonOptions,
    localStatic: Uint8Array | undefined,
    remoteStatic: Uint8Array | undefined,
  ): Handshake {
    const pattern = o.pattern ?? 'NK';
    if (pattern !== 'NK' && pattern !== 'XK')
      throw new InvalidArgumentError('options.pattern', `expected NK or XK, got ${String(pattern)}`);
    const prologue =
      o.prologue === undefined ? DEFAULT_PROLOGUE : check.bytes(o.prologue, undefined, 'options.prologue');
    if (o.protocolName !== undefined && typeof o.protocolName !== 'string')
      throw new InvalidArgumentError('options.protocolName', 'expected a string');
    const rng = o.rng === undefined ? cryptoRng : check.fn<Rng>(o.rng, 'options.rng');
    if (initiator) check.bytes(remoteStatic, 33, 'options.remoteStatic');
    if (!initiator || pattern === 'XK') check.bytes(localStatic, 32, 'options.localStatic');
    const hs = new HandshakeState({
      pattern,
      initiator,
      dh: secp256k1Dh,
      aead: o.aead ?? defaultAead,
      protocolName: o.protocolName ?? protocolNameFor(pattern),
      prologue,
      localStatic,
      remoteStatic,
      rng,
      rotationInterval: KEY_ROTATION_INTERVAL,
    });
    return new Handshake(hs, o.maxMessageSize);
  }

  /** True when the next act is ours to write. */
  get isMyTurn(): boolean {
    return this.#hs.isMyTurn;
  }

  /** True once the last act has been written or read. */
  get isComplete(): boolean {
    return this.#outcome !== undefined;
  }

  /** The 1-based number of the next act. */
  get act(): number {
    return this.#hs.nextMessageNumber;
  }

  /** The exact length of the next act (ours or the peer's), or 0 when complete. */
  get nextActLength(): number {
    return this.#hs.isComplete ? 0 : 1 + this.#hs.nextMessageLength(0);
  }

  /** Writes our next act. */
  writeAct(): Uint8Array {
    const msg = this.#hs.writeMessage(EMPTY);
    const out = new Uint8Array(1 + msg.length);
    out[0] = HANDSHAKE_VERSION;
    out.set(msg, 1);
    this.#finish();
    return out;
  }

  /**
   * Reads the peer's act: exactly {@link Handshake.nextActLength} bytes. Throws {@link HandshakeError}
   * (`short_read`, `bad_length`, `bad_version`, `bad_pubkey`, `bad_ciphertext`, `bad_tag`).
   */
  readAct(act: Uint8Array): void {
    check.bytes(act, undefined, 'act');
    if (this.#hs.isComplete) throw new StateError('handshake is complete');
    if (this.#hs.isMyTurn) throw new StateError('it is our turn to send');
    const n = this.act;
    const expected = this.nextActLength;
    // BOLT 8: "Read exactly 50 bytes from the network buffer" (66 for act three); then the version.
    if (act.length < expected) throw new HandshakeError(n, 'short_read', `expected ${expected} bytes`);
    if (act.length > expected) throw new HandshakeError(n, 'bad_length', `expected ${expected} bytes`);
    if (act[0] !== HANDSHAKE_VERSION)
      throw new HandshakeError(n, 'bad_version', `unknown handshake version ${act[0]}`);
    this.#hs.readMessage(act.subarray(1));
    this.#finish();
  }

  /** The transport cipher, handshake hash and peer key; only once complete. */
  get outcome(): HandshakeOutcome {
    if (this.#outcome === undefined) throw new StateError('handshake is not complete');
    return this.#outcome;
  }

  #finish(): void {
    if (!this.#hs.isComplete) return;
    const r = this.#hs.result();
    this.#outcome = {
      transport: new TransportCipher(r.send, r.receive, this.#maxMessageSize),
      handshakeHash: r.handshakeHash,
      remoteStatic: r.remoteStatic,
    };
  }
}

function checkOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('options', 'expected an object');
}
