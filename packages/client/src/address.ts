/**
 * An LSP's address: its node id (the Noise static key the client must know before connecting, brief
 * §10) and where to reach it — TCP `host:port` or a WebSocket URL. The text form is
 * `<node id>@<host>:<port>` (IPv6 hosts in brackets) or `<node id>@ws[s]://…`.
 *
 * @module
 */
import { InvalidArgumentError } from './errors.js';

/** Where an LSP listens. */
export type LspAddress =
  | { readonly nodeId: string; readonly host: string; readonly port: number }
  | { readonly nodeId: string; readonly url: string };

const NODE_ID = /^0[23][0-9a-f]{64}$/;

/** True for a node id: 66 lower-case hex characters of a compressed public key (02/03 prefix). */
export function isNodeId(x: unknown): x is string {
  return typeof x === 'string' && NODE_ID.test(x);
}

/** True for a ws: or wss: URL. */
export function isWebSocketUrl(x: unknown): x is string {
  if (typeof x !== 'string') return false;
  try {
    const u = new URL(x);
    return u.protocol === 'ws:' || u.protocol === 'wss:';
  } catch {
    return false;
  }
}

/**
 * Parses `<node id>@<host>:<port>` or `<node id>@ws[s]://…` (the node id is lower-cased).
 *
 * @throws {InvalidArgumentError} `address` names the malformed part.
 */
export function parseLspAddress(text: string): LspAddress {
  if (typeof text !== 'string') throw new InvalidArgumentError('address', 'expected a string');
  const at = text.indexOf('@');
  const nodeId = text.slice(0, at).toLowerCase();
  if (at < 0 || !isNodeId(nodeId))
    throw new InvalidArgumentError(
      'address',
      'expected <node id (66 hex)>@<host>:<port> or <node id>@ws[s]://…',
    );
  const rest = text.slice(at + 1);
  if (/^wss?:\/\//i.test(rest)) {
    if (!isWebSocketUrl(rest)) throw new InvalidArgumentError('address', `not a WebSocket URL: ${rest}`);
    return { nodeId, url: rest };
  }
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:/@[\]]+)):(\d{1,5})$/.exec(rest);
  const port = Number(m?.[3]);
  if (m === null || !(port >= 1 && port <= 65_535))
    throw new InvalidArgumentError(
      'address',
      `expected <host>:<port> after the node id, got ${JSON.stringify(rest)}`,
    );
  return { nodeId, host: (m[1] ?? m[2]) as string, port };
}
