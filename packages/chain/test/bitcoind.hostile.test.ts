// BitcoindRpc against a hostile node on loopback (issue 17 items 2, 3 and 7a): replies built to exhaust
// memory or block the event loop are refused before parsing, answers that contradict what was asked
// (bytes that do not hash to their txid, a tampered block, absurd fee rates, another chain) are typed
// errors, and Core's sendrawtransaction messages are read whole.
import { afterEach, describe, expect, it } from 'vitest';
import { BitcoindRpc } from '../src/bitcoind/index.js';
import {
  createTx,
  encodeTx,
  MalformedReply,
  ReplyTooLarge,
  type TxRejected,
  txidHex,
  WrongNetwork,
} from '../src/index.js';
import { type FakeNode, fakeNode, rawBlock } from './_fakeNode.js';

const mkTx = (fill: number) =>
  createTx({
    version: 2,
    inputs: [
      {
        prevTxid: new Uint8Array(32).fill(fill),
        vout: 0,
        sequence: 0xfffffffd,
        witness: [new Uint8Array(64)],
      },
    ],
    outputs: [{ value: 1000n, script: Uint8Array.of(0x51, 0x20, ...new Uint8Array(32).fill(fill)) }],
    locktime: 0,
  });
const tx1 = mkTx(1);
const tx2 = mkTx(2);
const hex = (t: ReturnType<typeof mkTx>): string => Buffer.from(encodeTx(t)).toString('hex');

let node: FakeNode | undefined;
afterEach(async () => {
  await node?.close();
  node = undefined;
});

const client = (n: FakeNode): BitcoindRpc =>
  new BitcoindRpc({
    url: n.url,
    auth: { user: 'u', password: 'p' },
    network: 'regtest',
    sleep: async () => {},
    timeoutMs: 20_000,
  });

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

/** A JSON-RPC reply whose result is `n` empty objects: 3 bytes each, ~89 bytes of heap each once parsed. */
const emptyObjects = (n: number): string => `{"result":[${'{},'.repeat(n - 1)}{}],"error":null,"id":1}`;

describe('a hostile reply is refused before it is parsed', () => {
  it('~21M empty objects under the 64 MiB cap: ReplyTooLarge (tokens) from the escape hatch, (bytes) from wrapped calls', async () => {
    const body = emptyObjects(21_000_000);
    expect(body.length).toBeLessThan(64 * 1024 * 1024);
    node = await fakeNode({
      getblock: () => ({ status: 200, body }),
      getblockhash: () => ({ result: 'ab'.repeat(32) }),
      getrawtransaction: () => ({ status: 200, body }),
      estimatesmartfee: () => ({ status: 200, body }),
    });
    const rpc = client(node);
    const raw = await caught(rpc.rpc('getblock', ['ab'.repeat(32), 2]));
    expect(ReplyTooLarge.isInstance(raw)).toBe(true);
    expect(raw).toMatchObject({ code: 'CHAIN_RPC_REPLY_TOO_LARGE', limit: 'tokens', method: 'getblock' });
    node.handlers.getblockchaininfo = () => ({
      result: { chain: 'regtest', blocks: 1, bestblockhash: 'ab'.repeat(32) },
    });
    for (const call of [
      () => rpc.blocksSince(0),
      () => rpc.getTransaction(txidHex(tx1)),
      () => rpc.feeRate('cpfp'),
    ]) {
      const e = await caught(call());
      expect(ReplyTooLarge.isInstance(e) && MalformedReply.isInstance(e)).toBe(true);
      expect((e as ReplyTooLarge).limit).toBe('bytes');
    }
  }, 60_000);

  it('a reply within its size bound but with too many tokens, or nested too deep, is refused', async () => {
    node = await fakeNode({
      getrawtransaction: () => ({ status: 200, body: emptyObjects(5_000_000) }),
      getblockhash: () => ({
        status: 200,
        body: `{"result":${'['.repeat(40)}${']'.repeat(40)},"error":null,"id":1}`,
      }),
    });
    const rpc = client(node);
    expect(await caught(rpc.getTransaction(txidHex(tx1)))).toMatchObject({ limit: 'tokens' });
    expect(await caught(rpc.blockHash(1))).toMatchObject({ limit: 'depth' });
  });
});

describe('answers are verified against what was asked', () => {
  it('getTransaction refuses bytes of another transaction labelled with the txid asked', async () => {
    const want = txidHex(tx1);
    node = await fakeNode({ getrawtransaction: () => ({ result: { txid: want, hex: hex(tx2) } }) });
    const e = await caught(client(node).getTransaction(want));
    expect(MalformedReply.isInstance(e)).toBe(true);
    expect(e).toMatchObject({ path: 'result.hex' });
    node.handlers.getrawtransaction = () => ({ result: { txid: want, hex: hex(tx1) } });
    expect((await client(node).getTransaction(want)).txid).toBe(want);
  });

  it('blocksSince computes txids from a raw block that hashes to the block asked; a tampered block is refused', async () => {
    const blk = rawBlock([tx1], { prevHash: 'cd'.repeat(32) });
    const header = { hash: blk.hash, height: 1, previousblockhash: 'cd'.repeat(32), mediantime: 5 };
    node = await fakeNode({
      getblockchaininfo: () => ({ result: { chain: 'regtest', blocks: 1, bestblockhash: blk.hash } }),
      getblockhash: () => ({ result: blk.hash }),
      getblock: () => ({ result: blk.hex }),
      getblockheader: () => ({ result: header }),
    });
    const rpc = client(node);
    const [b] = await rpc.blocksSince(0);
    expect(b).toMatchObject({ hash: blk.hash, height: 1, prevHash: 'cd'.repeat(32), mediantime: 5 });
    expect(b!.txids).toEqual(blk.txids);
    expect(b!.txs.map((t) => Buffer.from(t).toString('hex'))[1]).toBe(hex(tx1));
    // The same header with another transaction: the merkle root no longer matches.
    const other = rawBlock([tx2], { prevHash: 'cd'.repeat(32) });
    node.handlers.getblock = () => ({ result: blk.hex.slice(0, 160) + other.hex.slice(160) });
    expect(await caught(rpc.blocksSince(0))).toMatchObject({ code: 'CHAIN_RPC_MALFORMED_REPLY' });
    // Another block's bytes under this hash.
    node.handlers.getblock = () => ({ result: other.hex });
    expect(MalformedReply.isInstance(await caught(rpc.blocksSince(0)))).toBe(true);
    // A witness changed: the txid holds, the witness commitment does not.
    const tampered = blk.hex.replace(
      hex(tx1),
      hex(createTx({ ...tx1, inputs: [{ ...tx1.inputs[0]!, witness: [new Uint8Array(64).fill(7)] }] })),
    );
    node.handlers.getblock = () => ({ result: tampered });
    expect(await caught(rpc.blocksSince(0))).toMatchObject({ code: 'CHAIN_RPC_MALFORMED_REPLY' });
  });

  it('feeRate and policyInfo answer finite integer sat/kvB within bounds, or MalformedReply', async () => {
    node = await fakeNode({
      getnetworkinfo: () => ({ result: { version: 310000, relayfee: 0.000001, incrementalfee: 0.000001 } }),
      estimatesmartfee: () => ({
        status: 200,
        body: '{"result":{"feerate":1e400,"blocks":1},"error":null,"id":ID}',
      }),
    });
    const rpc = client(node);
    // 1e400 is Infinity once parsed.
    node.handlers.estimatesmartfee = (r) => ({
      status: 200,
      body: `{"result":{"feerate":1e400,"blocks":1},"error":null,"id":${r.id}}`,
    });
    expect(MalformedReply.isInstance(await caught(rpc.feeRate('urgent')))).toBe(true);
    node.handlers.estimatesmartfee = () => ({ result: { feerate: 1e200, blocks: 1 } });
    expect(MalformedReply.isInstance(await caught(rpc.feeRate('urgent')))).toBe(true);
    node.handlers.estimatesmartfee = () => ({ result: { feerate: 0.00012345, blocks: 1 } });
    expect(await rpc.feeRate('urgent')).toBe(12345);
    node.handlers.getnetworkinfo = () => ({
      result: { version: 310000, relayfee: 1e208, incrementalfee: 0.000001 },
    });
    expect(MalformedReply.isInstance(await caught(rpc.policyInfo()))).toBe(true);
    expect(MalformedReply.isInstance(await caught(rpc.feeRate('urgent')))).toBe(true);
  });

  it('tip() checks the network too, on every call, including after another call threw WrongNetwork', async () => {
    let chain = 'main';
    node = await fakeNode({
      getblockchaininfo: () => ({ result: { chain, blocks: 1, bestblockhash: 'ab'.repeat(32) } }),
      getblockhash: () => ({ result: 'ab'.repeat(32) }),
    });
    const rpc = client(node);
    expect(WrongNetwork.isInstance(await caught(rpc.blockHash(1)))).toBe(true);
    expect(WrongNetwork.isInstance(await caught(rpc.tip()))).toBe(true);
    chain = 'regtest';
    expect((await rpc.tip()).height).toBe(1);
    chain = 'signet';
    expect(WrongNetwork.isInstance(await caught(rpc.tip()))).toBe(true);
  });
});

describe("Core's sendrawtransaction messages are read whole", () => {
  it('-25 maxfeerate is max-fee-exceeded with the whole message; maxburnamount keeps its message; parentheses are not split', async () => {
    const fee = 'Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)';
    const burn = 'Unspendable output exceeds maximum configured by user (maxburnamount)';
    node = await fakeNode({ sendrawtransaction: () => ({ error: { code: -25, message: fee } }) });
    const rpc = client(node);
    const e1 = (await caught(rpc.broadcast(encodeTx(tx1)))) as TxRejected;
    expect([e1.reason, e1.detail]).toEqual(['max-fee-exceeded', fee]);
    node.handlers.sendrawtransaction = () => ({ error: { code: -25, message: burn } });
    const e2 = (await caught(rpc.broadcast(encodeTx(tx1)))) as TxRejected;
    expect(e2.reason).toBe(burn);
    const script = 'mempool-script-verify-flag-failed (Invalid Schnorr signature, really), input 0 of abc';
    node.handlers.sendrawtransaction = () => ({ error: { code: -26, message: script } });
    const e3 = (await caught(rpc.broadcast(encodeTx(tx1)))) as TxRejected;
    expect([e3.reason, e3.detail]).toEqual([
      'mempool-script-verify-flag-failed (Invalid Schnorr signature, really)',
      'input 0 of abc',
    ]);
  });
});
