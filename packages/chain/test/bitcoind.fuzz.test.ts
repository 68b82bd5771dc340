// Fuzz of BitcoindRpc's reply handling: random and mutated JSON-RPC replies (through an injected
// transport, and a smaller run through a real loopback HTTP server) must only ever produce a result or
// a typed ChainError: never a TypeError, never a hang.
import { describe, expect, it } from 'vitest';
import { fuzzIterations, uniformRng } from '../../../test-utils/index.js';
import { BitcoindRpc, type BitcoindTransport } from '../src/bitcoind/index.js';
import { ChainError, createTx, encodeTx, txidHex, wtxidHex } from '../src/index.js';
import { fakeNode, rawBlock } from './_fakeNode.js';

/** xorshift32: a seeded PRNG so every failure is reproducible from its seed. */
const prng = uniformRng;

const tx = createTx({
  version: 3,
  inputs: [
    { prevTxid: new Uint8Array(32).fill(9), vout: 1, sequence: 0xfffffffd, witness: [new Uint8Array(64)] },
  ],
  outputs: [{ value: 5000n, script: Uint8Array.of(0x51, 0x20, ...new Uint8Array(32).fill(3)) }],
  locktime: 0,
});
const raw = encodeTx(tx);
const TXID = txidHex(tx);
const WTXID = wtxidHex(tx);
const HEX = Buffer.from(raw).toString('hex');
const BLOCK = rawBlock([tx], { prevHash: 'cd'.repeat(32) });
const H = BLOCK.hash;

/** Well-formed results per method, the seeds of the mutations. */
const TEMPLATES: Record<string, unknown> = {
  getblockchaininfo: { chain: 'regtest', blocks: 5, bestblockhash: H },
  getblockhash: H,
  getblock: BLOCK.hex,
  getblockheader: { hash: H, height: 3, previousblockhash: 'cd'.repeat(32), mediantime: 1, confirmations: 2 },
  getrawtransaction: { txid: TXID, hex: HEX, blockhash: H, confirmations: 2 },
  gettxspendingprevout: [{ txid: TXID, vout: 0, spendingtxid: TXID }],
  gettxout: null,
  sendrawtransaction: TXID,
  submitpackage: {
    package_msg: 'success',
    'tx-results': { [WTXID]: { txid: TXID } },
    'replaced-transactions': [],
  },
  getnetworkinfo: { version: 300000, relayfee: 0.000001, incrementalfee: 0.000001 },
  estimatesmartfee: { feerate: 0.0001, blocks: 2 },
  getnewaddress: 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080',
  generatetodescriptor: [H],
  generateblock: { hash: H },
  getbalances: { mine: { trusted: 1 } },
  sendtoaddress: TXID,
  invalidateblock: null,
  setmocktime: null,
};

function randomJson(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * (depth > 3 ? 6 : 9));
  switch (k) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return [0, -1, 1, 2 ** 53, -(2 ** 60), 1e308, 0.1, Number.NaN, 21e6, 1e-9][Math.floor(r() * 10)] ?? 0;
    case 3:
      return Math.floor(r() * 1e6) - 1000;
    case 4:
      return [
        '',
        'regtest',
        'main',
        H,
        TXID,
        WTXID,
        HEX,
        'AB'.repeat(32),
        'success',
        'unevaluated',
        '__proto__',
        'x'.repeat(300),
      ][Math.floor(r() * 12)];
    case 5:
      return H.slice(0, Math.floor(r() * 64));
    case 6: {
      const n = Math.floor(r() * 4);
      return Array.from({ length: n }, () => randomJson(r, depth + 1));
    }
    default: {
      const o: Record<string, unknown> = {};
      const keys = [
        'chain',
        'blocks',
        'hash',
        'height',
        'tx',
        'txid',
        'hex',
        'vin',
        'vout',
        'error',
        'feerate',
        'mine',
        'trusted',
        'package_msg',
        'tx-results',
        WTXID,
        '__proto__',
        'constructor',
      ];
      const n = Math.floor(r() * 4);
      for (let i = 0; i < n; i++) o[keys[Math.floor(r() * keys.length)]!] = randomJson(r, depth + 1);
      return o;
    }
  }
}

/** Replaces, deletes or retypes one random node of a well-formed value. */
function mutate(r: () => number, v: unknown, depth = 0): unknown {
  if (depth > 0 && r() < 0.3) return randomJson(r, depth);
  if (Array.isArray(v)) {
    if (v.length === 0 || r() < 0.2) return [...v, randomJson(r, depth + 1)];
    const i = Math.floor(r() * v.length);
    return v.map((x, j) => (j === i ? mutate(r, x, depth + 1) : x));
  }
  if (typeof v === 'object' && v !== null) {
    const keys = Object.keys(v);
    if (keys.length === 0) return randomJson(r, depth);
    const key = keys[Math.floor(r() * keys.length)]!;
    const copy: Record<string, unknown> = { ...(v as Record<string, unknown>) };
    if (r() < 0.25) delete copy[key];
    else copy[key] = mutate(r, copy[key], depth + 1);
    return copy;
  }
  return randomJson(r, depth);
}

function reply(r: () => number, method: string, id: unknown): { status: number; text: string } {
  const roll = r();
  const template = TEMPLATES[method];
  if (roll < 0.45)
    return { status: 200, text: JSON.stringify({ result: mutate(r, template), error: null, id }) };
  if (roll < 0.6) return { status: 200, text: JSON.stringify({ result: template, error: null, id }) };
  if (roll < 0.7) return { status: 200, text: JSON.stringify({ result: randomJson(r), error: null, id }) };
  if (roll < 0.8)
    return {
      status: 500,
      text: JSON.stringify({
        result: null,
        error: mutate(r, {
          code: [-5, -8, -25, -26, -27, -22, -28, -1][Math.floor(r() * 8)],
          message: 'bad-txns, x',
        }),
        id,
      }),
    };
  if (roll < 0.85)
    return { status: 200, text: JSON.stringify({ result: template, error: null, id: Math.floor(r() * 5) }) };
  if (roll < 0.9)
    return {
      status: [200, 400, 401, 404, 500, 503, 302][Math.floor(r() * 7)]!,
      text: 'garbage{'.slice(0, Math.floor(r() * 9)),
    };
  if (roll < 0.95) return { status: 200, text: `${'['.repeat(5000)}` };
  const t = JSON.stringify({ result: template, error: null, id });
  return { status: 200, text: t.slice(0, Math.floor(r() * t.length)) };
}

const CALLS: ((rpc: BitcoindRpc) => Promise<unknown>)[] = [
  (rpc) => rpc.tip(),
  (rpc) => rpc.blockHash(3),
  (rpc) => rpc.blocksSince(1, 3),
  (rpc) => rpc.getTransaction(TXID),
  (rpc) => rpc.getSpend({ txid: TXID, vout: 0 }),
  (rpc) => rpc.broadcast(raw),
  (rpc) => rpc.broadcastPackage(raw, raw),
  (rpc) => rpc.policyInfo(),
  (rpc) => rpc.feeRate('presigned'),
  (rpc) => rpc.mine(2),
  (rpc) => rpc.mine(1, { empty: true }),
  (rpc) => rpc.fund(Uint8Array.of(0x51, 0x20, ...new Uint8Array(32).fill(4)), 10_000n),
  (rpc) => rpc.invalidateBlock(H),
];

describe('BitcoindRpc reply fuzz', () => {
  it('random and mutated replies yield a result or a typed ChainError, never another exception', async () => {
    const n = fuzzIterations(200_000, 20_000);
    console.log(`BitcoindRpc reply fuzz: ${n} calls (FUZZ_ITERATIONS)`);
    let typed = 0;
    for (let i = 0; i < n; i++) {
      const r = prng(0x9e3779b9 ^ i);
      const transport: BitcoindTransport = async ({ body }) => {
        const req = JSON.parse(body) as { id: unknown; method: string };
        return reply(r, req.method, req.id);
      };
      const rpc = new BitcoindRpc({
        url: 'http://127.0.0.1:1',
        auth: { user: 'u', password: 'p' },
        network: 'regtest',
        wallet: 'w',
        retries: 1,
        sleep: async () => {},
        maxSpendScanBlocks: 3,
        transport,
      });
      try {
        await CALLS[i % CALLS.length]!(rpc);
      } catch (e) {
        if (!ChainError.isInstance(e)) throw new Error(`seed ${i}: untyped ${String(e)}`, { cause: e });
        typed++;
      }
    }
    expect(typed).toBeGreaterThan(n / 4);
  });

  it('through a loopback HTTP server: garbage bodies and statuses are typed errors, and nothing hangs', async () => {
    const n = Math.max(1, Math.floor(fuzzIterations(20_000, 2_000) / 10));
    console.log(`BitcoindRpc HTTP fuzz: ${n} calls`);
    const node = await fakeNode({});
    const r = prng(12345);
    const answer = (req: { method: string; id: unknown }) => {
      const x = reply(r, req.method, req.id);
      return { status: x.status, body: x.text };
    };
    for (const m of Object.keys(TEMPLATES)) node.handlers[m] = answer;
    try {
      for (let i = 0; i < n; i++) {
        const rpc = new BitcoindRpc({
          url: node.url,
          auth: { user: 'u', password: 'p' },
          network: 'regtest',
          retries: 0,
          timeoutMs: 5000,
          maxSpendScanBlocks: 2,
        });
        try {
          await CALLS[i % CALLS.length]!(rpc);
        } catch (e) {
          if (!ChainError.isInstance(e)) throw new Error(`call ${i}: untyped ${String(e)}`, { cause: e });
        }
      }
    } finally {
      await node.close();
    }
  });
});
