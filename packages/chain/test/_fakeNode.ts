// A loopback HTTP server that answers JSON-RPC requests with crafted replies: it tests BitcoindRpc's
// transport and parser, not a chain.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sha256 } from '@noble/hashes/sha2.js';
import { merkleRoot } from '../src/sim/_block.js';
import {
  createTx,
  encodeTx,
  fromDisplayHex,
  type Tx,
  toDisplayHex,
  txid,
  txidHex,
  wtxid,
} from '../src/tx/index.js';

/** What a handler answers: a JSON-RPC result, an RPC error, or a raw HTTP reply. */
export type Answer =
  | { readonly result: unknown }
  | { readonly error: { code: number; message: string } }
  | { readonly status: number; readonly body: string }
  | { readonly hang: true };

/** A request as the fake node saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly params: unknown;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly id: unknown;
}

export type Handler = (req: SeenRequest) => Answer;

/** A running fake node. */
export interface FakeNode {
  readonly url: string;
  readonly seen: SeenRequest[];
  handlers: Record<string, Handler>;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** Starts a fake node on 127.0.0.1 (random port). `getblockchaininfo` answers regtest unless overridden. */
export async function fakeNode(handlers: Record<string, Handler> = {}): Promise<FakeNode> {
  const seen: SeenRequest[] = [];
  const node: FakeNode = {
    url: '',
    seen,
    handlers: {
      getblockchaininfo: () => ({ result: { chain: 'regtest', blocks: 0, bestblockhash: '00'.repeat(32) } }),
      ...handlers,
    },
    close: async () => {},
  };
  const server: Server = createServer(async (req, res) => {
    const text = await readBody(req);
    let parsed: { id?: unknown; method?: string; params?: unknown } = {};
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      // answered below as an unknown method
    }
    const r: SeenRequest = {
      method: String(parsed.method),
      params: parsed.params,
      path: req.url ?? '',
      authorization: req.headers.authorization,
      id: parsed.id,
    };
    seen.push(r);
    const h = node.handlers[r.method];
    const a: Answer = h === undefined ? { error: { code: -32601, message: 'Method not found' } } : h(r);
    if ('hang' in a) return; // never answer
    if ('status' in a) {
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(a.body);
      return;
    }
    const body =
      'result' in a
        ? { result: a.result, error: null, id: r.id }
        : { result: null, error: a.error, id: r.id };
    res.writeHead('result' in a ? 200 : 500, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(node, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** A raw block (`getblock <hash> 0`) of a coinbase with a BIP141 witness commitment and `txs`. */
export function rawBlock(
  txs: readonly Tx[],
  options: { prevHash?: string; time?: number } = {},
): { hex: string; hash: string; txids: string[] } {
  const dsha = (b: Uint8Array): Uint8Array => sha256(sha256(b));
  const reserved = new Uint8Array(32);
  const wroot = merkleRoot([new Uint8Array(32), ...txs.map((t) => wtxid(t))]);
  const commitment = dsha(Uint8Array.from([...wroot, ...reserved]));
  const coinbase = createTx({
    version: 2,
    inputs: [
      {
        prevTxid: new Uint8Array(32),
        vout: 0xffffffff,
        scriptSig: Uint8Array.of(0x01, 0x03, 0x51),
        sequence: 0xffffffff,
        witness: [reserved],
      },
    ],
    outputs: [{ value: 0n, script: Uint8Array.of(0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed, ...commitment) }],
    locktime: 0,
  });
  const all = [coinbase, ...txs];
  const header = new Uint8Array(80);
  const dv = new DataView(header.buffer);
  dv.setUint32(0, 0x20000000, true);
  header.set(fromDisplayHex(options.prevHash ?? '00'.repeat(32)), 4);
  header.set(merkleRoot(all.map((t) => txid(t))), 36);
  dv.setUint32(68, options.time ?? 1_700_000_000, true);
  dv.setUint32(72, 0x207fffff, true);
  const body = [header, Uint8Array.of(all.length), ...all.map((t) => encodeTx(t))];
  const bytes = Uint8Array.from(body.flatMap((b) => [...b]));
  return {
    hex: Buffer.from(bytes).toString('hex'),
    hash: toDisplayHex(dsha(header)),
    txids: all.map((t) => txidHex(t)),
  };
}
