/**
 * Noise `HandshakeState` (Noise specification §5.3) for the patterns NN, NK and XK (§7.4), generic
 * over the DH function and the AEAD backend, with SHA-256.
 *
 * - NN: `-> e` / `<- e, ee` (used only to check the state machine against the Noise vectors).
 * - NK: `<- s` / `...` / `-> e, es` / `<- e, ee`: the initiator knows the responder's static key
 *   (the default for SuperScalar clients connecting to an LSP).
 * - XK: `<- s` / `...` / `-> e, es` / `<- e, ee` / `-> s, se`: BOLT 8's pattern.
 *
 * Not implemented: PSK modifiers, fallback, other patterns. Messages here carry no BOLT 8 version
 * byte; {@link Handshake} adds it.
 */
import { concatBytes, type Rng } from '@superscalar/core';
import { assertBytes } from './_assert.js';
import type { Aead } from './aead.js';
import type { CipherState } from './cipherState.js';
import type { Dh, KeyPair } from './dh.js';
import { HandshakeError, InvalidArgumentError, StateError } from './errors.js';
import { SymmetricState } from './symmetricState.js';

/** The handshake patterns this package implements. */
export type PatternName = 'NN' | 'NK' | 'XK';

type Token = 'e' | 's' | 'ee' | 'es' | 'se' | 'ss';

interface Pattern {
  /** Does the responder have a pre-message `<- s`? (None of these has an initiator pre-message.) */
  readonly responderPreS: boolean;
  /** Does the initiator send its static key during the handshake? */
  readonly initiatorSendsS: boolean;
  readonly messages: readonly (readonly Token[])[];
}

const PATTERNS: Record<PatternName, Pattern> = {
  NN: { responderPreS: false, initiatorSendsS: false, messages: [['e'], ['e', 'ee']] },
  NK: {
    responderPreS: true,
    initiatorSendsS: false,
    messages: [
      ['e', 'es'],
      ['e', 'ee'],
    ],
  },
  XK: {
    responderPreS: true,
    initiatorSendsS: true,
    messages: [
      ['e', 'es'],
      ['e', 'ee'],
      ['s', 'se'],
    ],
  },
};

/** Number of handshake messages of a pattern. */
export function patternMessageCount(pattern: PatternName): number {
  return PATTERNS[pattern].messages.length;
}

/** Options of {@link HandshakeState}. */
export interface HandshakeStateOptions {
  /** The handshake pattern. */
  readonly pattern: PatternName;
  /** True for the initiator (the side that sends the first message). */
  readonly initiator: boolean;
  /** The DH function. */
  readonly dh: Dh;
  /** The AEAD backend. */
  readonly aead: Aead;
  /** The full protocol name, e.g. `Noise_NK_secp256k1_ChaChaPoly_SHA256` (bytes or ASCII). */
  readonly protocolName: Uint8Array | string;
  /** Prologue bytes; both sides must use the same. */
  readonly prologue: Uint8Array;
  /** Our static private key: the responder's in NK/XK, the initiator's in XK. */
  readonly localStatic?: Uint8Array | undefined;
  /** The responder's static public key, known to the initiator in NK/XK. */
  readonly remoteStatic?: Uint8Array | undefined;
  /** Source of ephemeral private keys. */
  readonly rng: Rng;
  /** When set, `split()` enables BOLT 8 key rotation every this many uses (BOLT 8: 1,000). */
  readonly rotationInterval?: number | undefined;
}

/** What a completed handshake yields. */
export interface HandshakeResult {
  /** Cipher state for messages we send. */
  readonly send: CipherState;
  /** Cipher state for messages we receive. */
  readonly receive: CipherState;
  /** The final handshake hash `h`: channel binding for signatures over the session (brief §10). */
  readonly handshakeHash: Uint8Array;
  /** The peer's static public key when the pattern transmits or pre-shares it (NK/XK), else undefined. */
  readonly remoteStatic: Uint8Array | undefined;
}

/** A Noise handshake in progress. Single use; any failure leaves it permanently failed. */
export class HandshakeState {
  readonly #pattern: Pattern;
  readonly #initiator: boolean;
  readonly #dh: Dh;
  readonly #ss: SymmetricState;
  readonly #rng: Rng;
  readonly #rotation: number | undefined;
  readonly #s: KeyPair | undefined;
  #e: KeyPair | undefined;
  #rs: Uint8Array | undefined;
  #re: Uint8Array | undefined;
  #index = 0;
  #failed = false;
  #result: HandshakeResult | undefined;

  constructor(options: HandshakeStateOptions) {
    const pattern = PATTERNS[options.pattern];
    if (pattern === undefined)
      throw new InvalidArgumentError('pattern', `expected NN, NK or XK, got ${String(options.pattern)}`);
    assertBytes(options.prologue, 'prologue');
    this.#pattern = pattern;
    this.#initiator = options.initiator;
    this.#dh = options.dh;
    this.#rng = options.rng;
    this.#rotation = options.rotationInterval;
    const needLocalStatic = options.initiator ? pattern.initiatorSendsS : pattern.responderPreS;
    if (needLocalStatic) {
      assertBytes(options.localStatic, 'localStatic', 32);
      try {
        this.#s = options.dh.keyPair(options.localStatic);
      } catch (cause) {
        throw new InvalidArgumentError(
          'localStatic',
          `not a valid ${options.dh.name} private key (${cause})`,
        );
      }
    }
    if (options.initiator && pattern.responderPreS) {
      assertBytes(options.remoteStatic, 'remoteStatic', options.dh.publicKeyLength);
      if (!options.dh.isValidPublicKey(options.remoteStatic))
        throw new InvalidArgumentError('remoteStatic', `not a valid ${options.dh.name} public key`);
      this.#rs = Uint8Array.from(options.remoteStatic);
    }
    const name =
      typeof options.protocolName === 'string'
        ? new TextEncoder().encode(options.protocolName)
        : Uint8Array.from(options.protocolName);
    this.#ss = new SymmetricState(options.aead, name);
    this.#ss.mixHash(options.prologue);
    // Pre-messages: "<- s" hashes the responder's static public key.
    if (pattern.responderPreS) {
      const rsPub = options.initiator ? this.#rs : this.#s?.publicKey;
      if (rsPub === undefined) throw new StateError('responder static key missing');
      this.#ss.mixHash(rsPub);
    }
  }

  /** True when the next message is ours to write. */
  get isMyTurn(): boolean {
    return !this.isComplete && (this.#index % 2 === 0) === this.#initiator;
  }

  /** True once every handshake message has been written or read. */
  get isComplete(): boolean {
    return this.#index >= this.#pattern.messages.length;
  }

  /** 1-based number of the next handshake message (BOLT 8's "act"). */
  get nextMessageNumber(): number {
    return this.#index + 1;
  }

  /** The current handshake hash (for tests and channel binding after completion). */
  handshakeHash(): Uint8Array {
    return this.#ss.handshakeHash();
  }

  /** Length of the next handshake message when it carries a payload of `payloadLength` bytes. */
  nextMessageLength(payloadLength: number): number {
    const tokens = this.#pattern.messages[this.#index];
    if (tokens === undefined) throw new StateError('handshake is complete');
    let hasKey = this.#ss.hasKey();
    let n = 0;
    for (const t of tokens) {
      if (t === 'e') n += this.#dh.publicKeyLength;
      else if (t === 's') n += this.#dh.publicKeyLength + (hasKey ? 16 : 0);
      else hasKey = true;
    }
    return n + payloadLength + (hasKey ? 16 : 0);
  }

  /** `WriteMessage(payload)`: returns the handshake message to send. */
  writeMessage(payload: Uint8Array): Uint8Array {
    assertBytes(payload, 'payload');
    this.#checkUsable(true);
    const tokens = this.#pattern.messages[this.#index]!;
    const parts: Uint8Array[] = [];
    for (const t of tokens) {
      if (t === 'e') {
        this.#e = this.#dh.generateKeyPair(this.#rng);
        parts.push(this.#e.publicKey);
        this.#ss.mixHash(this.#e.publicKey);
      } else if (t === 's') {
        parts.push(this.#ss.encryptAndHash(this.#s!.publicKey));
      } else this.#ss.mixKey(this.#dhToken(t));
    }
    parts.push(this.#ss.encryptAndHash(payload));
    this.#index++;
    this.#finishIfDone();
    return concatBytes(...parts);
  }

  /**
   * `ReadMessage(message)`: processes the peer's handshake message and returns its payload. Throws
   * {@link HandshakeError} (with the 1-based message number as `act`) when it is malformed or does not
   * authenticate; the handshake is then failed for good.
   */
  readMessage(message: Uint8Array): Uint8Array {
    assertBytes(message, 'message');
    this.#checkUsable(false);
    const act = this.#index + 1;
    try {
      const tokens = this.#pattern.messages[this.#index]!;
      const pubLen = this.#dh.publicKeyLength;
      let o = 0;
      for (const t of tokens) {
        if (t === 'e') {
          if (message.length < o + pubLen) throw new HandshakeError(act, 'short_read', 'message too short');
          const re = message.slice(o, o + pubLen);
          o += pubLen;
          if (!this.#dh.isValidPublicKey(re))
            throw new HandshakeError(act, 'bad_pubkey', 'ephemeral key is not a valid public key');
          this.#re = re;
          this.#ss.mixHash(re);
        } else if (t === 's') {
          const len = pubLen + (this.#ss.hasKey() ? 16 : 0);
          if (message.length < o + len) throw new HandshakeError(act, 'short_read', 'message too short');
          const rs = this.#ss.decryptAndHash(message.subarray(o, o + len));
          o += len;
          if (rs === undefined)
            throw new HandshakeError(act, 'bad_ciphertext', 'encrypted static key failed authentication');
          if (!this.#dh.isValidPublicKey(rs))
            throw new HandshakeError(act, 'bad_pubkey', 'static key is not a valid public key');
          this.#rs = rs;
        } else this.#ss.mixKey(this.#dhToken(t));
      }
      const rest = message.subarray(o);
      if (this.#ss.hasKey() && rest.length < 16)
        throw new HandshakeError(act, 'short_read', 'message too short for its tag');
      const payload = this.#ss.decryptAndHash(rest);
      if (payload === undefined) throw new HandshakeError(act, 'bad_tag', 'payload failed authentication');
      this.#index++;
      this.#finishIfDone();
      return payload;
    } catch (err) {
      this.#failed = true;
      throw err;
    }
  }

  /** The transport cipher states and handshake hash; only after the last message. */
  result(): HandshakeResult {
    if (this.#result === undefined) throw new StateError('handshake is not complete');
    return this.#result;
  }

  #checkUsable(writing: boolean): void {
    if (this.#failed) throw new StateError('handshake has failed; start a new one');
    if (this.isComplete) throw new StateError('handshake is complete');
    if (this.isMyTurn !== writing)
      throw new StateError(writing ? 'it is the peer’s turn to send' : 'it is our turn to send');
  }

  #dhToken(t: Token): Uint8Array {
    const dh = this.#dh;
    const pair = (local: KeyPair | undefined, remote: Uint8Array | undefined): Uint8Array => {
      if (local === undefined || remote === undefined) throw new StateError(`missing key for ${t}`);
      try {
        return dh.dh(local.privateKey, remote);
      } catch (cause) {
        // Only reachable for X25519 low-order points; secp256k1 keys are validated when read.
        throw new HandshakeError(this.#index + 1, 'bad_pubkey', `DH ${t} failed`, { cause });
      }
    };
    const i = this.#initiator;
    switch (t) {
      case 'ee':
        return pair(this.#e, this.#re);
      case 'es':
        return i ? pair(this.#e, this.#rs) : pair(this.#s, this.#re);
      case 'se':
        return i ? pair(this.#s, this.#re) : pair(this.#e, this.#rs);
      default:
        return pair(this.#s, this.#rs);
    }
  }

  #finishIfDone(): void {
    if (!this.isComplete) return;
    const [c1, c2] = this.#ss.split(this.#rotation);
    this.#result = {
      send: this.#initiator ? c1 : c2,
      receive: this.#initiator ? c2 : c1,
      handshakeHash: this.#ss.handshakeHash(),
      remoteStatic: this.#rs === undefined ? undefined : Uint8Array.from(this.#rs),
    };
    // The ephemeral private key is ours and no longer needed: zero it.
    this.#e?.privateKey.fill(0);
  }
}
