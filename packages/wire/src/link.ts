/**
 * A message link: this package's messages over one encrypted session (a `@superscalar/noise-nk`
 * `NoiseSession`, or anything with its shape), with the connection rules of brief §10 and BOLT 1.
 *
 * - **`init` first, both ways** (`versions [PROTOCOL_VERSION]`, `network`, `features`): the initiator
 *   (a client) adds its identity proof, `signIdentity(nodeSecret, handshakeHash)`; the responder (the
 *   LSP) verifies it and refuses a missing or invalid proof. A network mismatch, no common version, an
 *   unknown required (even) feature bit, or any other message first refuses the connection; so does an
 *   `init` not received within `initTimeoutMs` (default 10 s) of {@link MessageLink.open}.
 * - **Bounded decoding**: each frame is decoded with the caller's per-type bounds (`maxSizeByType`)
 *   and fragments are joined by a `Reassembler` with `maxTotalSizeByType`; large messages are sent as
 *   fragments (`encodeFrames`).
 * - **Liveness**: `ping` is answered with `pong`; the link pings every `pingIntervalMs` and closes
 *   the connection when nothing has arrived for `silenceTimeoutMs`.
 * - **Faults close that connection only**: a malformed, oversized or unexpected message is answered
 *   with `error` (its text says why), then the session is closed; unknown odd message types are
 *   ignored (BOLT 1). A connection-level `error` from the peer (no channel or factory id) is delivered,
 *   then the link closes with {@link PeerError}.
 *
 * Browser-safe: timers are injected, nothing here touches the network itself.
 *
 * @module
 */
import { type Network, type SuperscalarError, toHex } from '@superscalar/core';
import type { Timers } from '@superscalar/noise-nk';
import { type EncodedMessage, encodingOf } from './encoded.js';
import { InitError, InvalidArgumentError, LinkError, PeerError, WireError } from './errors.js';
import {
  DEFAULT_MAX_PARTS,
  DEFAULT_MAX_TOTAL_SIZE,
  encodeFrames,
  framesOf,
  Reassembler,
} from './fragment.js';
import { signIdentity, verifyIdentity } from './identity.js';
import { decodeMessage, type Message, type SizeLimits } from './message.js';
import { type Init, PROTOCOL_VERSION, pongFor } from './messages/setup.js';

/** The part of a `NoiseSession` a link uses. */
export interface LinkSession {
  /** The Noise handshake hash the identity proof is bound to. */
  readonly handshakeHash: Uint8Array;
  /** The responder's static key, on the initiator's side (the LSP's node key). */
  readonly remoteStatic: Uint8Array | undefined;
  readonly remoteAddress?: string | undefined;
  send(message: Uint8Array): Promise<void>;
  receive(): Promise<Uint8Array | undefined>;
  close(): Promise<void>;
  destroy(): void;
}

/** Options of {@link MessageLink.open}. */
export interface LinkOptions {
  /** `initiator` (the client: it connected and proves its identity) or `responder` (the LSP). */
  readonly role: 'initiator' | 'responder';
  readonly network: Network;
  /** Our feature bits (BOLT 9 layout, minimal); default none. */
  readonly features?: Uint8Array;
  /** The initiator's 32-byte node secret: its `init` carries the identity proof for this session. */
  readonly nodeSecret?: Uint8Array;
  /** Responder: refuse an `init` without a valid identity proof (default true). */
  readonly requireIdentity?: boolean;
  /** The peer's `init` is due within this many ms of `open` (default 10,000; brief §10). */
  readonly initTimeoutMs?: number;
  /** Send a `ping` this often once open, ms (default 30,000; 0: never). */
  readonly pingIntervalMs?: number;
  /** Close when nothing has been received for this long once open, ms (default 90,000; 0: never). */
  readonly silenceTimeoutMs?: number;
  /** Per-type bounds on received messages, bytes (`decodeMessage`'s `maxSizeByType`). */
  readonly maxSizeByType?: SizeLimits;
  /** Per-type bounds on reassembled messages, bytes (`Reassembler`'s `maxTotalSizeByType`). */
  readonly maxTotalSizeByType?: SizeLimits;
  /** Largest reassembled message, and largest message sent, bytes (default 1 MiB). */
  readonly maxTotalSize?: number;
  /** Most fragments of one received message (default 64). */
  readonly maxParts?: number;
  /** Close when more than this many bytes wait for the peer to read them (default 16 MiB). */
  readonly maxSendBufferBytes?: number;
  /** Timer functions (default the global ones); inject fakes in tests. */
  readonly timers?: Timers;
}

/** Why a link closed: `undefined` for a clean close (either side), else the fault. */
export type LinkCloseReason = SuperscalarError | undefined;

/** Default deadline for the peer's `init`: 10 s after the handshake (brief §10). */
export const DEFAULT_INIT_TIMEOUT_MS = 10_000;
/** Default ping interval: 30 s. */
export const DEFAULT_PING_INTERVAL_MS = 30_000;
/** Default silence timeout: 90 s (three missed pings). */
export const DEFAULT_SILENCE_TIMEOUT_MS = 90_000;

const globalTimers: Timers = {
  setTimeout: (cb, ms) => globalThis.setTimeout(cb, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
};

function nonNegative(v: number | undefined, dflt: number, name: string): number {
  const x = v ?? dflt;
  if (!Number.isSafeInteger(x) || x < 0)
    throw new InvalidArgumentError(
      'WIRE_INVALID_ARGUMENT',
      `expected a non-negative integer, got ${String(v)}`,
      {
        field: `options.${name}`,
      },
    );
  return x;
}

/** The first even (required) feature bit of `theirs` we do not know (neither it nor its pair is ours). */
export function unknownRequiredFeature(theirs: Uint8Array, ours: Uint8Array): number | undefined {
  const has = (f: Uint8Array, bit: number) => {
    const i = f.length - 1 - (bit >> 3);
    return i >= 0 && ((f[i] as number) >> (bit & 7)) & 1;
  };
  for (let bit = 0; bit < theirs.length * 8; bit += 2)
    if (has(theirs, bit) && !has(ours, bit) && !has(ours, bit + 1)) return bit;
  return undefined;
}

type Phase = 'init' | 'ready' | 'open' | 'closed';

/**
 * One connection's messages. Obtain one with {@link MessageLink.open} (the `init` exchange), then
 * {@link MessageLink.start} delivery; {@link MessageLink.send} messages; {@link MessageLink.closed}
 * says when and why it ended.
 */
export class MessageLink {
  readonly #s: LinkSession;
  readonly #timers: Timers;
  readonly #o: Required<
    Pick<
      LinkOptions,
      'initTimeoutMs' | 'pingIntervalMs' | 'silenceTimeoutMs' | 'maxTotalSize' | 'maxSendBufferBytes'
    >
  >;
  readonly #maxSizeByType: SizeLimits | undefined;
  readonly #reassembler: Reassembler;
  #phase: Phase = 'init';
  #remoteInit: Init | undefined;
  #remoteNodeId: string | undefined;
  #onMessage: ((m: Message) => void) | undefined;
  #openResolve: (() => void) | undefined;
  #openReject: ((e: unknown) => void) | undefined;
  #startGate: () => void = () => undefined;
  readonly #started: Promise<void>;
  #fragmentId = 0n;
  #queued = 0;
  #initTimer: unknown;
  #pingTimer: unknown;
  #silenceTimer: unknown;
  #resolveClosed!: (r: LinkCloseReason) => void;
  /** Resolves (never rejects) once the link is closed: `undefined` when cleanly, else the fault. */
  readonly closed: Promise<LinkCloseReason>;

  private constructor(session: LinkSession, o: LinkOptions) {
    this.#s = session;
    this.#timers = o.timers ?? globalTimers;
    this.#o = {
      initTimeoutMs: nonNegative(o.initTimeoutMs, DEFAULT_INIT_TIMEOUT_MS, 'initTimeoutMs'),
      pingIntervalMs: nonNegative(o.pingIntervalMs, DEFAULT_PING_INTERVAL_MS, 'pingIntervalMs'),
      silenceTimeoutMs: nonNegative(o.silenceTimeoutMs, DEFAULT_SILENCE_TIMEOUT_MS, 'silenceTimeoutMs'),
      maxTotalSize: nonNegative(o.maxTotalSize, DEFAULT_MAX_TOTAL_SIZE, 'maxTotalSize'),
      maxSendBufferBytes: nonNegative(o.maxSendBufferBytes, 16 << 20, 'maxSendBufferBytes'),
    };
    this.#maxSizeByType = o.maxSizeByType;
    this.#reassembler = new Reassembler({
      maxParts: o.maxParts ?? DEFAULT_MAX_PARTS,
      maxTotalSize: this.#o.maxTotalSize,
      ...(o.maxTotalSizeByType === undefined ? {} : { maxTotalSizeByType: o.maxTotalSizeByType }),
    });
    this.closed = new Promise((r) => {
      this.#resolveClosed = r;
    });
    this.#started = new Promise((r) => {
      this.#startGate = r;
    });
  }

  /**
   * Exchanges `init` over `session` (already through its handshake) and resolves to the link once the
   * peer's `init` is accepted. On any refusal the peer gets an `error` saying why, the session is
   * closed, and the promise rejects with the fault: an {@link InitError}, a {@link PeerError} (the peer
   * refused us), a `DecodeError` of this package, or the session's `NoiseError`.
   *
   * @throws {InvalidArgumentError} bad options (the session is destroyed).
   */
  static open(session: LinkSession, options: LinkOptions): Promise<MessageLink> {
    let link: MessageLink;
    let init: Init;
    try {
      if (typeof options !== 'object' || options === null)
        throw new InvalidArgumentError('WIRE_INVALID_ARGUMENT', 'expected an object', { field: 'options' });
      if (options.role !== 'initiator' && options.role !== 'responder')
        throw new InvalidArgumentError('WIRE_INVALID_ARGUMENT', "expected 'initiator' or 'responder'", {
          field: 'options.role',
        });
      link = new MessageLink(session, options);
      init = {
        type: 'init',
        versions: [PROTOCOL_VERSION],
        features: options.features ?? new Uint8Array(0),
        network: options.network,
        ...(options.role === 'initiator' && options.nodeSecret !== undefined
          ? { identity: signIdentity(options.nodeSecret, session.handshakeHash) }
          : {}),
      };
      encodeFrames(init); // validates network and features before anything is sent
    } catch (e) {
      session.destroy();
      return Promise.reject(e);
    }
    return link.#exchange(init, options);
  }

  /** The peer's `init`. */
  get remoteInit(): Init {
    return this.#remoteInit as Init;
  }

  /**
   * The peer's node id (lower-case hex of its 33-byte key): the proven identity of an initiator, the
   * Noise static key of a responder; undefined for an initiator that sent no proof when none was
   * required.
   */
  get remoteNodeId(): string | undefined {
    return this.#remoteNodeId;
  }

  /** The peer's address as the transport reports it. */
  get remoteAddress(): string | undefined {
    return this.#s.remoteAddress;
  }

  /** True until the link closes. */
  get isOpen(): boolean {
    return this.#phase === 'ready' || this.#phase === 'open';
  }

  /**
   * Starts delivering the peer's messages (never `init`, `ping`, `pong` or `fragment`) to `onMessage`,
   * one at a time in arrival order, and starts the pings and the silence timeout. Messages that arrived
   * since `open` are held until then. A throwing handler closes the link (`WIRE_HANDLER_FAILED`).
   */
  start(onMessage: (message: Message) => void): void {
    if (this.#phase !== 'ready') return;
    this.#phase = 'open';
    this.#onMessage = onMessage;
    this.#armPing();
    this.#armSilence();
    this.#startGate();
  }

  /**
   * Sends `message` (as fragments when it exceeds one frame). Returns false, sending nothing, when the
   * link is closed. Closes the link with `WIRE_SEND_BUFFER_FULL` when the peer leaves more than
   * `maxSendBufferBytes` unread.
   *
   * @throws {WireError} `WIRE_INVALID_ARGUMENT` / `WIRE_MESSAGE_TOO_LARGE`: the message has no encoding
   *   (a bug on this side; nothing was sent).
   */
  send(message: Message): boolean {
    if (!this.isOpen) return false;
    return this.#sendFrames(
      encodeFrames(message, { fragmentId: this.#fragmentId++, maxTotalSize: this.#o.maxTotalSize }),
    );
  }

  /**
   * {@link send} for a message already encoded by `preEncodeMessage`: its bytes go out as they are
   * (cut into fragments with this link's own fragment id when they exceed one frame), so one encoding
   * serves every peer a message is broadcast to.
   *
   * @throws {WireError} `WIRE_INVALID_ARGUMENT` (not made by `preEncodeMessage`, or a `fragment`),
   *   `WIRE_MESSAGE_TOO_LARGE` (above `maxTotalSize`); nothing was sent.
   */
  sendEncoded(encoded: EncodedMessage): boolean {
    const full = encodingOf(encoded);
    if (!this.isOpen) return false;
    return this.#sendFrames(
      framesOf(full, { fragmentId: this.#fragmentId++, maxTotalSize: this.#o.maxTotalSize }),
    );
  }

  #sendFrames(frames: readonly Uint8Array[]): boolean {
    for (const f of frames) this.#write(f);
    if (this.#queued > this.#o.maxSendBufferBytes)
      this.#fault(
        new LinkError(
          'WIRE_SEND_BUFFER_FULL',
          `more than ${this.#o.maxSendBufferBytes} bytes unread by the peer`,
        ),
        false,
      );
    return true;
  }

  /** Closes the link cleanly (what was sent is flushed). Resolves when the session is closed. */
  async close(): Promise<void> {
    if (this.#phase !== 'closed') this.#finish(undefined);
    await this.#s.close();
  }

  /** Sends `error { text }` (the reason the peer sees), then closes. */
  async abort(text: string): Promise<void> {
    if (this.#phase === 'closed') return;
    this.#write(encodeFrames({ type: 'error', text })[0] as Uint8Array);
    await this.close();
  }

  #write(frame: Uint8Array): void {
    this.#queued += frame.length;
    this.#s.send(frame).then(
      () => {
        this.#queued -= frame.length;
      },
      () => undefined, // the session failed: the read loop reports it
    );
  }

  async #exchange(init: Init, o: LinkOptions): Promise<MessageLink> {
    const opened = new Promise<void>((resolve, reject) => {
      this.#openResolve = resolve;
      this.#openReject = reject;
    });
    if (this.#o.initTimeoutMs > 0)
      this.#initTimer = this.#timers.setTimeout(
        () =>
          this.#fault(new InitError('WIRE_INIT_TIMEOUT', `no init within ${this.#o.initTimeoutMs} ms`), true),
        this.#o.initTimeoutMs,
      );
    this.#write(encodeFrames(init)[0] as Uint8Array);
    void this.#pump(o);
    await opened;
    return this;
  }

  async #pump(o: LinkOptions): Promise<void> {
    for (;;) {
      let frame: Uint8Array | undefined;
      try {
        frame = await this.#s.receive();
      } catch (e) {
        this.#finish(e as SuperscalarError);
        return;
      }
      if (this.#phase === 'closed') return;
      if (frame === undefined) {
        this.#finish(undefined);
        return;
      }
      this.#armSilence();
      let m: Message | undefined;
      try {
        m = this.#reassembler.push(decodeMessage(frame, { maxSizeByType: this.#maxSizeByType ?? {} }));
      } catch (e) {
        if (WireError.isInstance(e) && e.ignorable) continue;
        this.#fault(e as WireError, true);
        return;
      }
      if (m === undefined) continue;
      if (this.#phase === 'init') {
        const fault = this.#acceptInit(m, o);
        if (fault !== undefined) {
          this.#fault(fault, fault.code !== 'WIRE_PEER_ERROR');
          return;
        }
        this.#phase = 'ready';
        this.#timers.clearTimeout(this.#initTimer);
        this.#openResolve?.();
        await this.#started; // messages wait for start()
        if (!this.isOpen) return;
        continue;
      }
      if (!this.#deliver(m)) return;
    }
  }

  /** Delivers one message after `init`; false when the link closed. */
  #deliver(m: Message): boolean {
    switch (m.type) {
      case 'init':
        this.#fault(new LinkError('WIRE_UNEXPECTED_MESSAGE', 'a second init'), true);
        return false;
      case 'ping': {
        const pong = pongFor(m);
        if (pong !== undefined) this.#write(encodeFrames(pong)[0] as Uint8Array);
        return true;
      }
      case 'pong':
        return true;
      default:
        try {
          this.#onMessage?.(m);
        } catch (cause) {
          this.#fault(new LinkError('WIRE_HANDLER_FAILED', 'the message handler threw', { cause }), false);
          return false;
        }
        if (m.type === 'error' && m.channelId === undefined && m.factoryId === undefined) {
          this.#fault(new PeerError(m.text), false);
          return false;
        }
        return this.#phase === 'open';
    }
  }

  #acceptInit(m: Message, o: LinkOptions): LinkError | undefined {
    if (m.type === 'error') return new PeerError(m.text);
    if (m.type !== 'init') return new InitError('WIRE_INIT_EXPECTED', `${m.type} before init`);
    if (!m.versions.includes(PROTOCOL_VERSION))
      return new InitError(
        'WIRE_NO_COMMON_VERSION',
        `the peer speaks versions ${m.versions.join(', ')}, not ${PROTOCOL_VERSION}`,
      );
    if (m.network !== o.network)
      return new InitError('WIRE_NETWORK_MISMATCH', `the peer is on ${m.network}, we are on ${o.network}`);
    const bit = unknownRequiredFeature(m.features, o.features ?? new Uint8Array(0));
    if (bit !== undefined)
      return new InitError('WIRE_UNKNOWN_REQUIRED_FEATURE', `the peer requires feature bit ${bit}`);
    if (o.role === 'initiator') {
      const key = this.#s.remoteStatic;
      this.#remoteNodeId = key === undefined ? undefined : toHex(key);
    } else if (m.identity !== undefined) {
      let ok = false;
      try {
        ok = verifyIdentity(m.identity, this.#s.handshakeHash);
      } catch {
        ok = false;
      }
      if (!ok)
        return new InitError(
          'WIRE_IDENTITY_INVALID',
          'the identity proof does not verify for this connection',
        );
      this.#remoteNodeId = toHex(m.identity.nodePubkey);
    } else if (o.requireIdentity !== false)
      return new InitError('WIRE_IDENTITY_MISSING', 'init carries no identity proof');
    this.#remoteInit = m;
    return undefined;
  }

  /** Closes with `error`; tells the peer why first when `tell`. */
  #fault(error: LinkError | WireError, tell: boolean): void {
    if (this.#phase === 'closed') return;
    if (tell) {
      try {
        this.#write(encodeFrames({ type: 'error', text: error.message.slice(0, 512) })[0] as Uint8Array);
      } catch {
        // The session is already gone: nothing to tell.
      }
      this.#finish(error);
      void this.#s.close();
    } else {
      this.#finish(error);
      this.#s.destroy();
    }
  }

  #finish(reason: LinkCloseReason): void {
    if (this.#phase === 'closed') return;
    if (this.#phase === 'init')
      this.#openReject?.(reason ?? new InitError('WIRE_INIT_EXPECTED', 'the connection closed before init'));
    this.#phase = 'closed';
    this.#timers.clearTimeout(this.#initTimer);
    this.#timers.clearTimeout(this.#pingTimer);
    this.#timers.clearTimeout(this.#silenceTimer);
    this.#reassembler.reset();
    this.#resolveClosed(reason);
    this.#startGate();
  }

  #armPing(): void {
    const ms = this.#o.pingIntervalMs;
    if (ms === 0 || this.#phase !== 'open') return;
    this.#pingTimer = this.#timers.setTimeout(() => {
      if (this.#phase !== 'open') return;
      this.#write(
        encodeFrames({ type: 'ping', numPongBytes: 0, ignored: new Uint8Array(0) })[0] as Uint8Array,
      );
      this.#armPing();
    }, ms);
  }

  #armSilence(): void {
    const ms = this.#o.silenceTimeoutMs;
    if (ms === 0 || this.#phase !== 'open') return;
    this.#timers.clearTimeout(this.#silenceTimer);
    this.#silenceTimer = this.#timers.setTimeout(
      () => this.#fault(new LinkError('WIRE_PEER_SILENT', `nothing received for ${ms} ms`), false),
      ms,
    );
  }
}
