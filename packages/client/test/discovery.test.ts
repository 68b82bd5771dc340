// `.well-known` discovery against real local servers: plain HTTP (refused without a pin, before any
// request; accepted with a matching pin) and HTTPS with a self-signed certificate made by openssl for
// the test (accepted through a fetch that trusts that certificate; refused by the global fetch, which
// does not).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import {
  createServer as createHttp,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttps, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCi } from '../../../test-utils/index.js';
import {
  addressesOf,
  DiscoveryError,
  discoverLsp,
  type FetchLike,
  parseLspAddress,
  parseWellKnown,
  WELL_KNOWN_PATH,
} from '../src/index.js';

const NODE = `02${'ab'.repeat(32)}`;
const OTHER = `03${'cd'.repeat(32)}`;
const DOC = { nodeId: NODE, network: 'regtest', host: 'lsp.example', port: 9735, extra: 'ignored' };

let requests = 0;
let body: string = JSON.stringify(DOC);
function handler(req: IncomingMessage, res: ServerResponse): void {
  requests++;
  if (req.url !== WELL_KNOWN_PATH) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(body);
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const dir = mkdtempSync(join(tmpdir(), 'client-discovery-'));
const http = createHttp(handler);
let httpHost = '';
let https: Server | undefined;
let httpsHost = '';
let cert: Buffer | undefined;

beforeAll(async () => {
  httpHost = await listen(http);
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) {
    const why = `openssl could not make a test certificate (${r.error?.message ?? r.stderr})`;
    if (isCi) throw new Error(why);
    console.warn(`!! SKIPPING the HTTPS discovery tests: ${why}`);
    return;
  }
  cert = readFileSync(join(dir, 'cert.pem'));
  https = createHttps({ key: readFileSync(join(dir, 'key.pem')), cert }, handler);
  httpsHost = await listen(https);
});

afterAll(async () => {
  await new Promise((r) => http.close(r));
  if (https !== undefined) await new Promise((r) => https?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

/** A fetch over node:https that trusts exactly the test's certificate (real TLS, real verification). */
const trustingFetch: FetchLike = (url, init) =>
  new Promise((resolve, reject) => {
    const req = request(url, { ca: cert, headers: init.headers, signal: init.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          ok: (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300,
          status: res.statusCode ?? 0,
          url,
          body: null,
          text: async () => Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });

const code = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(DiscoveryError.isInstance(e), String(e)).toBe(true);
  return (e as DiscoveryError).code;
};

describe('.well-known discovery over plain HTTP (a real local server)', () => {
  it('refuses an http: origin without a pinned key, before sending any request', async () => {
    const before = requests;
    expect(await code(discoverLsp(`http://${httpHost}`, { fetch }))).toBe('CLIENT_DISCOVERY_INSECURE');
    expect(requests).toBe(before);
  });

  it('accepts the document over http: when its key equals the pinned one, and refuses another key', async () => {
    body = JSON.stringify(DOC);
    const doc = await discoverLsp(`http://${httpHost}`, { fetch, pinnedNodeId: NODE.toUpperCase() });
    expect(doc).toEqual({ nodeId: NODE, network: 'regtest', host: 'lsp.example', port: 9735 });
    expect(addressesOf(doc)).toEqual([{ nodeId: NODE, host: 'lsp.example', port: 9735 }]);
    expect(await code(discoverLsp(`http://${httpHost}`, { fetch, pinnedNodeId: OTHER }))).toBe(
      'CLIENT_DISCOVERY_KEY_MISMATCH',
    );
  });

  it('refuses invalid, oversized and wrong-network documents, and HTTP errors', async () => {
    const pinned = { fetch, pinnedNodeId: NODE };
    body = JSON.stringify({ ...DOC, port: 70_000 });
    expect(await code(discoverLsp(`http://${httpHost}`, pinned))).toBe('CLIENT_DISCOVERY_INVALID');
    body = 'not json';
    expect(await code(discoverLsp(`http://${httpHost}`, pinned))).toBe('CLIENT_DISCOVERY_INVALID');
    body = JSON.stringify({ ...DOC, padding: 'x'.repeat(20_000) });
    expect(await code(discoverLsp(`http://${httpHost}`, pinned))).toBe('CLIENT_DISCOVERY_FAILED');
    body = JSON.stringify(DOC);
    expect(await code(discoverLsp(`http://${httpHost}`, { ...pinned, network: 'mainnet' }))).toBe(
      'CLIENT_DISCOVERY_WRONG_NETWORK',
    );
    const missing: FetchLike = (_u, init) => fetch(`http://${httpHost}/nothing`, init);
    expect(await code(discoverLsp(`http://${httpHost}`, { ...pinned, fetch: missing }))).toBe(
      'CLIENT_DISCOVERY_FAILED',
    );
  });
});

describe('.well-known discovery over HTTPS (a self-signed local server)', () => {
  it('accepts the document over https: without a pin, through a fetch that trusts the certificate', async (ctx) => {
    if (https === undefined) return ctx.skip();
    body = JSON.stringify({ ...DOC, webSocket: 'wss://lsp.example/ss' });
    const doc = await discoverLsp(`https://${httpsHost}`, { fetch: trustingFetch, network: 'regtest' });
    expect(doc.nodeId).toBe(NODE);
    expect(addressesOf(doc)).toEqual([
      { nodeId: NODE, host: 'lsp.example', port: 9735 },
      { nodeId: NODE, url: 'wss://lsp.example/ss' },
    ]);
    // A bare host means HTTPS.
    expect((await discoverLsp(httpsHost, { fetch: trustingFetch })).nodeId).toBe(NODE);
  });

  it('the global fetch does not trust the self-signed certificate: the request fails', async (ctx) => {
    if (https === undefined) return ctx.skip();
    expect(await code(discoverLsp(`https://${httpsHost}`, { fetch }))).toBe('CLIENT_DISCOVERY_FAILED');
  });

  it('a redirect from https: to http: is refused without a pin', async () => {
    const redirected: FetchLike = async (url) => ({
      ok: true,
      status: 200,
      url: url.replace('https:', 'http:'),
      body: null,
      text: async () => JSON.stringify(DOC),
    });
    expect(await code(discoverLsp('lsp.example', { fetch: redirected }))).toBe('CLIENT_DISCOVERY_INSECURE');
    expect((await discoverLsp('lsp.example', { fetch: redirected, pinnedNodeId: NODE })).nodeId).toBe(NODE);
  });
});

describe('documents and addresses', () => {
  it('parseWellKnown names the bad field', () => {
    expect(() => parseWellKnown({ ...DOC, nodeId: 'zz' })).toThrow(/nodeId/);
    expect(() => parseWellKnown({ nodeId: NODE, network: 'regtest' })).toThrow(/host and port, or webSocket/);
    expect(() => parseWellKnown({ nodeId: NODE, network: 'regtest', webSocket: 'https://x' })).toThrow(
      /webSocket/,
    );
    expect(parseWellKnown({ nodeId: NODE, network: 'signet', webSocket: 'ws://h:1/' })).toEqual({
      nodeId: NODE,
      network: 'signet',
      webSocket: 'ws://h:1/',
    });
  });

  it('parseLspAddress reads node@host:port, node@[v6]:port and node@ws(s)://…', () => {
    expect(parseLspAddress(`${NODE}@127.0.0.1:9735`)).toEqual({
      nodeId: NODE,
      host: '127.0.0.1',
      port: 9735,
    });
    expect(parseLspAddress(`${NODE.toUpperCase()}@[::1]:1`)).toEqual({ nodeId: NODE, host: '::1', port: 1 });
    expect(parseLspAddress(`${NODE}@wss://lsp.example/x`)).toEqual({
      nodeId: NODE,
      url: 'wss://lsp.example/x',
    });
    for (const bad of [
      `${NODE}@host`,
      `${NODE}@host:0`,
      `${NODE}@host:65536`,
      `04${NODE.slice(2)}@h:1`,
      'x@h:1',
      `${NODE}h:1`,
    ])
      expect(() => parseLspAddress(bad), bad).toThrow(/address/);
  });
});
