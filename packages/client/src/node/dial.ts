/**
 * Opens a Noise NK session to an LSP over TCP (`node:net`) or WebSocket (`ws`), authenticating the
 * LSP by the node id of its address.
 *
 * @module
 */
import { connect as tcp } from 'node:net';
import { fromHex } from '@superscalar/core';
import {
  connect,
  MAX_FRAME_SIZE,
  type NoiseSession,
  type WebSocketLike,
  webSocketChannel,
} from '@superscalar/noise-nk';
import { socketChannel } from '@superscalar/noise-nk/node';
import WebSocket from 'ws';
import type { LspAddress } from '../address.js';

/** Options of {@link dial}. */
export interface DialOptions {
  /** The whole handshake (connection included) within this many ms (default 10,000). */
  readonly handshakeTimeoutMs?: number;
}

/** A session with the LSP at `address`; rejects with a `NoiseError` (the transport already closed). */
export function dial(address: LspAddress, options: DialOptions = {}): Promise<NoiseSession> {
  const channel =
    'url' in address
      ? webSocketChannel(
          new WebSocket(address.url, { maxPayload: MAX_FRAME_SIZE }) as unknown as WebSocketLike,
        )
      : socketChannel(tcp({ host: address.host, port: address.port }));
  return connect(channel, {
    remoteStatic: fromHex(address.nodeId),
    ...(options.handshakeTimeoutMs === undefined ? {} : { handshakeTimeoutMs: options.handshakeTimeoutMs }),
  });
}
