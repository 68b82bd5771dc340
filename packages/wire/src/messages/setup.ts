/**
 * Setup and control messages (brief §10): `init` with the client's identity proof, `error`,
 * `warning`, `ping`/`pong` (BOLT 1 semantics), and `fragment`, which carries a part of a message too
 * large for one frame (see `../fragment.ts`).
 *
 * @module
 */
import type { Network } from '@superscalar/core';
import { bytes32, enumU8, list, point, restBytes, sig64, struct, text, u64, uint } from '../_fields.js';
import { defineMessage, MAX_MESSAGE_SIZE } from '../codec.js';

/** Wire codes of the networks. */
export const NETWORK_CODES: Readonly<Record<Network, number>> = {
  mainnet: 1,
  testnet4: 2,
  signet: 3,
  regtest: 4,
};

/** The protocol version this package speaks. */
export const PROTOCOL_VERSION = 1;

/** A client's proof of its node key (brief §10): see `signIdentity` / `verifyIdentity`. */
export interface IdentityProof {
  /** The client's 33-byte compressed node public key. */
  readonly nodePubkey: Uint8Array;
  /** BIP340 signature over `tagged_hash("superscalar-ts/identity", handshake_hash || node_pubkey)`. */
  readonly signature: Uint8Array;
}

/** `init`: the first message on a connection, each way. */
export interface Init {
  readonly type: 'init';
  /** Protocol versions the sender speaks, strictly increasing, at least one. */
  readonly versions: readonly number[];
  /**
   * Feature bits (BOLT 9 layout: big-endian, bit 0 in the last byte; even = required, odd = optional),
   * minimal: no leading zero byte.
   */
  readonly features: Uint8Array;
  readonly network: Network;
  /** The client's identity proof; the LSP is authenticated by the Noise handshake instead. */
  readonly identity?: IdentityProof;
}

/**
 * `error`: the sender fails the channel (`channelId`), the factory (`factoryId`), or, with neither,
 * the connection. The text is for diagnosis; print it escaped.
 */
export interface ErrorMessage {
  readonly type: 'error';
  readonly channelId?: Uint8Array;
  readonly factoryId?: Uint8Array;
  readonly text: string;
}

/** `warning`: like `error` but nothing is failed; log it. */
export interface Warning {
  readonly type: 'warning';
  readonly channelId?: Uint8Array;
  readonly factoryId?: Uint8Array;
  readonly text: string;
}

/** `ping` (BOLT 1): asks for a `pong` with `numPongBytes` ignored bytes (none above {@link MAX_PONG_BYTES}). */
export interface Ping {
  readonly type: 'ping';
  readonly numPongBytes: number;
  /** Padding the receiver ignores; send zeros, never secrets. */
  readonly ignored: Uint8Array;
}

/** `pong` (BOLT 1). */
export interface Pong {
  readonly type: 'pong';
  readonly ignored: Uint8Array;
}

/**
 * The largest `pong` payload that fits one 65,535-byte message: 2 (type) + 1 (TLV type) + 3 (BigSize
 * length) + 65,529. A `ping` asking for more gets no reply (BOLT 1's 65,532 cut-off, adjusted for the
 * TLV framing).
 */
export const MAX_PONG_BYTES = MAX_MESSAGE_SIZE - 6;

/**
 * One part of a message that does not fit one frame. Parts of one message share `fragmentId`,
 * `messageType`, `parts` and `totalLength`, arrive in order `part` = 0..parts − 1, and their `data`
 * concatenate to the message's full encoding (its 2-byte type included).
 */
export interface Fragment {
  readonly type: 'fragment';
  /** Sender-chosen id of the fragmented message (e.g. a per-connection counter). */
  readonly fragmentId: bigint;
  /** The 2-byte type of the fragmented message (never `fragment` itself). */
  readonly messageType: number;
  readonly part: number;
  /** Number of parts, 2..65,535 (a message that fits one frame is never fragmented). */
  readonly parts: number;
  /** Length of the full encoding, bytes. */
  readonly totalLength: number;
  readonly data: Uint8Array;
}

const idProof = struct<IdentityProof>(
  [
    ['nodePubkey', point],
    ['signature', sig64],
  ],
  'identity proof',
);

const notice = (name: 'error' | 'warning', type: number) =>
  defineMessage({
    name,
    type,
    fields: [
      { tlv: 0, key: 'text', codec: text },
      { tlv: 2, key: 'channelId', codec: bytes32, optional: true },
      { tlv: 4, key: 'factoryId', codec: bytes32, optional: true },
    ],
  });

/** @internal The 2-byte type of `fragment`. */
export const FRAGMENT_TYPE = 0x001a;

/** @internal */
export const setupCodecs = [
  defineMessage({
    name: 'init',
    type: 0x0010,
    fields: [
      {
        tlv: 0,
        key: 'versions',
        codec: list(uint(2, 1), { min: 1, max: 64, key: (v: number) => v, keyName: 'version' }),
      },
      {
        tlv: 2,
        key: 'features',
        codec: restBytes({ max: 1024, describe: 'feature bits (minimal, ≤ 1,024)' }),
      },
      { tlv: 4, key: 'network', codec: enumU8(NETWORK_CODES) },
      { tlv: 6, key: 'identity', codec: idProof, optional: true },
    ],
    check: (m, fail) => {
      const f = m.features as Uint8Array;
      if (f.length > 0 && f[0] === 0) fail('features', 'feature bits must be minimal (no leading zero byte)');
    },
  }),
  notice('error', 0x0012),
  notice('warning', 0x0014),
  defineMessage({
    name: 'ping',
    type: 0x0016,
    fields: [
      { tlv: 0, key: 'numPongBytes', codec: uint(2) },
      { tlv: 2, key: 'ignored', codec: restBytes() },
    ],
  }),
  defineMessage({
    name: 'pong',
    type: 0x0018,
    fields: [{ tlv: 0, key: 'ignored', codec: restBytes({ max: MAX_PONG_BYTES }) }],
  }),
  defineMessage({
    name: 'fragment',
    type: FRAGMENT_TYPE,
    fields: [
      { tlv: 0, key: 'fragmentId', codec: u64() },
      { tlv: 2, key: 'messageType', codec: uint(2) },
      { tlv: 4, key: 'part', codec: uint(2) },
      { tlv: 6, key: 'parts', codec: uint(2, 2) },
      { tlv: 8, key: 'totalLength', codec: uint(4, 3) },
      { tlv: 10, key: 'data', codec: restBytes({ max: MAX_MESSAGE_SIZE }) },
    ],
    check: (m, fail) => {
      if (m.messageType === FRAGMENT_TYPE) fail('messageType', 'a fragment cannot carry a fragment');
      if ((m.part as number) >= (m.parts as number)) fail('part', `part ${m.part} of ${m.parts} parts`);
      const n = (m.data as Uint8Array).length;
      if (n === 0) fail('data', 'a part carries at least one byte');
      if (n > (m.totalLength as number))
        fail('data', `part of ${n} bytes exceeds the total length ${m.totalLength}`);
    },
  }),
];

/**
 * BOLT 1's answer to a `ping`: a `pong` with `numPongBytes` zero bytes, or undefined when the ping
 * asks for more than {@link MAX_PONG_BYTES} (then it must be ignored).
 */
export function pongFor(ping: Ping): Pong | undefined {
  if (ping.numPongBytes > MAX_PONG_BYTES) return undefined;
  return { type: 'pong', ignored: new Uint8Array(ping.numPongBytes) };
}
