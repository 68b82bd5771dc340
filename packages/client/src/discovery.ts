/**
 * `.well-known` discovery of an LSP (brief §10): `GET <origin>/.well-known/superscalar.json`, a small
 * JSON document naming the LSP's node id (its Noise static key), its network and where it listens.
 *
 * **Trust.** The document's key is what every later connection authenticates against, so it is
 * accepted only when it arrived over HTTPS (the final URL after redirects included) **or** equals a
 * key the caller pinned; a plain `http:` origin without a pin is refused before anything is fetched.
 * Browser-safe: `fetch` is injected (pass `globalThis.fetch`).
 *
 * The document (version 1; unknown fields are ignored, so it can grow):
 *
 * ```json
 * { "nodeId": "02…(66 hex)", "network": "mainnet", "host": "lsp.example.com", "port": 9735,
 *   "webSocket": "wss://lsp.example.com/superscalar" }
 * ```
 *
 * `host` and `port` (TCP) go together; `webSocket` is a `ws:`/`wss:` URL; at least one of the two.
 *
 * @module
 */
import { isNetwork, type Network } from '@superscalar/core';
import { isNodeId, isWebSocketUrl, type LspAddress } from './address.js';
import { DiscoveryError, InvalidArgumentError } from './errors.js';

/** The path of the document. */
export const WELL_KNOWN_PATH = '/.well-known/superscalar.json';

/** The `.well-known` document of an LSP. */
export interface WellKnownDocument {
  /** Lower-case hex of the LSP's 33-byte node key (its Noise static key). */
  readonly nodeId: string;
  readonly network: Network;
  /** TCP endpoint. */
  readonly host?: string;
  readonly port?: number;
  /** WebSocket endpoint (`ws:` or `wss:`). */
  readonly webSocket?: string;
}

/** The part of the Fetch API's `Response` discovery reads. */
export interface FetchResponseLike {
  readonly ok: boolean;
  readonly status: number;
  /** The final URL after redirects (empty when unknown). */
  readonly url?: string;
  readonly body?: {
    getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> };
  } | null;
  text(): Promise<string>;
}

/** The part of the Fetch API discovery uses (`globalThis.fetch` fits). */
export type FetchLike = (
  url: string,
  init: { signal: AbortSignal; headers: Record<string, string>; redirect: 'follow' },
) => Promise<FetchResponseLike>;

/** Options of {@link discoverLsp}. */
export interface DiscoverOptions {
  /** The Fetch API (e.g. `globalThis.fetch`). */
  readonly fetch: FetchLike;
  /** A node id the document must name; required to accept a document fetched over plain HTTP. */
  readonly pinnedNodeId?: string;
  /** The network the document must name. */
  readonly network?: Network;
  /** Abort after this many ms (default 10,000). */
  readonly timeoutMs?: number;
  /** Largest document read, bytes (default 16,384). */
  readonly maxBytes?: number;
}

/**
 * Fetches and checks `origin`'s document. `origin` is a host (`lsp.example.com`, HTTPS implied) or a
 * URL whose path is ignored (`https://lsp.example.com`, `http://127.0.0.1:8080` with a pin).
 *
 * @throws {DiscoveryError} see its codes; {@link InvalidArgumentError} for bad options.
 */
export async function discoverLsp(origin: string, options: DiscoverOptions): Promise<WellKnownDocument> {
  if (typeof options?.fetch !== 'function')
    throw new InvalidArgumentError('options.fetch', 'expected a function');
  const pinned = options.pinnedNodeId?.toLowerCase();
  if (pinned !== undefined && !isNodeId(pinned))
    throw new InvalidArgumentError('options.pinnedNodeId', 'expected 66 hex characters (02/03 prefix)');
  const url = wellKnownUrl(origin);
  if (url.protocol !== 'https:' && pinned === undefined)
    throw new DiscoveryError(
      'CLIENT_DISCOVERY_INSECURE',
      url.href,
      'not HTTPS and no pinned key: the LSP key it names cannot be trusted (use HTTPS or pin the node id)',
    );
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxBytes ?? 16_384;
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  let text: string;
  try {
    const res = await options.fetch(url.href, {
      signal: ac.signal,
      headers: { accept: 'application/json' },
      redirect: 'follow',
    });
    if (!res.ok) throw new DiscoveryError('CLIENT_DISCOVERY_FAILED', url.href, `HTTP status ${res.status}`);
    const final = res.url !== undefined && res.url !== '' ? new URL(res.url) : url;
    if (final.protocol !== 'https:' && pinned === undefined)
      throw new DiscoveryError(
        'CLIENT_DISCOVERY_INSECURE',
        url.href,
        `redirected to ${final.protocol} (${final.href}) and no pinned key`,
      );
    text = await readBounded(res, maxBytes, url.href);
  } catch (e) {
    if (DiscoveryError.isInstance(e)) throw e;
    throw new DiscoveryError(
      'CLIENT_DISCOVERY_FAILED',
      url.href,
      ac.signal.aborted ? `no answer within ${timeoutMs} ms` : 'the request failed',
      { cause: e },
    );
  } finally {
    clearTimeout(timer);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new DiscoveryError('CLIENT_DISCOVERY_INVALID', url.href, 'not JSON', { cause });
  }
  const doc = parseWellKnown(json, url.href);
  if (pinned !== undefined && doc.nodeId !== pinned)
    throw new DiscoveryError(
      'CLIENT_DISCOVERY_KEY_MISMATCH',
      url.href,
      `the document names node ${doc.nodeId}, not the pinned ${pinned}`,
    );
  if (options.network !== undefined && doc.network !== options.network)
    throw new DiscoveryError(
      'CLIENT_DISCOVERY_WRONG_NETWORK',
      url.href,
      `the LSP is on ${doc.network}, not ${options.network}`,
    );
  return doc;
}

/** The document's URL for `origin` (see {@link discoverLsp}). */
export function wellKnownUrl(origin: string): URL {
  if (typeof origin !== 'string' || origin === '')
    throw new InvalidArgumentError('origin', 'expected a host or URL');
  let base: URL;
  try {
    base = new URL(origin.includes('://') ? origin : `https://${origin}`);
  } catch {
    throw new InvalidArgumentError('origin', `not a host or URL: ${JSON.stringify(origin)}`);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:')
    throw new InvalidArgumentError('origin', `expected http: or https:, got ${base.protocol}`);
  return new URL(WELL_KNOWN_PATH, base.origin);
}

/**
 * Checks a parsed document (unknown fields dropped).
 *
 * @throws {DiscoveryError} `CLIENT_DISCOVERY_INVALID` naming the field.
 */
export function parseWellKnown(json: unknown, url = 'document'): WellKnownDocument {
  const bad = (field: string, what: string) =>
    new DiscoveryError('CLIENT_DISCOVERY_INVALID', url, `${field}: expected ${what}`);
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw bad('document', 'a JSON object');
  const d = json as Record<string, unknown>;
  if (!isNodeId(d.nodeId)) throw bad('nodeId', '66 lower-case hex characters of a compressed key');
  if (!isNetwork(d.network)) throw bad('network', 'mainnet, testnet4, signet or regtest');
  const hasTcp = d.host !== undefined || d.port !== undefined;
  if (hasTcp) {
    if (typeof d.host !== 'string' || !/^[^\s/@]{1,253}$/.test(d.host))
      throw bad('host', 'a host name or address');
    if (!Number.isInteger(d.port) || (d.port as number) < 1 || (d.port as number) > 65_535)
      throw bad('port', 'an integer 1..65535');
  }
  if (d.webSocket !== undefined && !isWebSocketUrl(d.webSocket)) throw bad('webSocket', 'a ws: or wss: URL');
  if (!hasTcp && d.webSocket === undefined) throw bad('document', 'host and port, or webSocket');
  return {
    nodeId: d.nodeId,
    network: d.network,
    ...(hasTcp ? { host: d.host as string, port: d.port as number } : {}),
    ...(d.webSocket === undefined ? {} : { webSocket: d.webSocket as string }),
  };
}

/** The addresses a document names: TCP first, then WebSocket. */
export function addressesOf(doc: WellKnownDocument): LspAddress[] {
  const out: LspAddress[] = [];
  if (doc.host !== undefined && doc.port !== undefined)
    out.push({ nodeId: doc.nodeId, host: doc.host, port: doc.port });
  if (doc.webSocket !== undefined) out.push({ nodeId: doc.nodeId, url: doc.webSocket });
  return out;
}

async function readBounded(res: FetchResponseLike, max: number, url: string): Promise<string> {
  const tooLarge = () =>
    new DiscoveryError('CLIENT_DISCOVERY_FAILED', url, `the document exceeds ${max} bytes`);
  if (res.body === undefined || res.body === null) {
    const t = await res.text();
    if (new TextEncoder().encode(t).length > max) throw tooLarge();
    return t;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (value === undefined) continue;
    n += value.length;
    if (n > max) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  const all = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(all);
  } catch (cause) {
    throw new DiscoveryError('CLIENT_DISCOVERY_INVALID', url, 'not UTF-8', { cause });
  }
}
