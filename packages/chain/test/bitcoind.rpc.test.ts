// BitcoindRpc against a loopback server serving crafted JSON-RPC replies: transport, auth, retries,
// reject-string mapping and shape validation. (The chain behaviour is tested against a real bitcoind in
// integration/.)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BitcoindRpc } from '../src/bitcoind/index.js';
import {
  ChainError,
  createTx,
  encodeTx,
  MalformedReply,
  NotFound,
  RpcAuthFailed,
  RpcTimeout,
  TxRejected,
  txidHex,
  Unavailable,
  WarmingUp,
  WrongNetwork,
  wtxidHex,
} from '../src/index.js';
import { type FakeNode, fakeNode } from './_fakeNode.js';

const tx = createTx({
  version: 2,
  inputs: [
    { prevTxid: new Uint8Array(32).fill(7), vout: 0, sequence: 0xfffffffd, witness: [new Uint8Array(64)] },
  ],
  outputs: [{ value: 1000n, script: Uint8Array.of(0x51, 0x20, ...new Uint8Array(32).fill(1)) }],
  locktime: 0,
});
const child = createTx({
  version: 2,
  inputs: [
    {
      prevTxid: Uint8Array.from(Buffer.from(txidHex(tx), 'hex').reverse()),
      vout: 0,
      sequence: 0xfffffffd,
      witness: [new Uint8Array(64)],
    },
  ],
  outputs: [{ value: 500n, script: Uint8Array.of(0x51, 0x20, ...new Uint8Array(32).fill(2)) }],
  locktime: 0,
});
const raw = encodeTx(tx);
const noSleep = async (): Promise<void> => {};

let node: FakeNode | undefined;
afterEach(async () => {
  await node?.close();
  node = undefined;
});

const client = (
  n: FakeNode,
  extra: Partial<ConstructorParameters<typeof BitcoindRpc>[0]> = {},
): BitcoindRpc =>
  new BitcoindRpc({
    url: n.url,
    auth: { user: 'u', password: 'p' },
    network: 'regtest',
    sleep: noSleep,
    timeoutMs: 2000,
    ...extra,
  });

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('BitcoindRpc transport and auth', () => {
  it('sends Basic auth and parses the tip', async () => {
    node = await fakeNode({
      getblockchaininfo: () => ({ result: { chain: 'regtest', blocks: 7, bestblockhash: 'ab'.repeat(32) } }),
    });
    const rpc = client(node);
    expect(await rpc.tip()).toEqual({ height: 7, hash: 'ab'.repeat(32) });
    expect(node.seen[0]!.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
  });

  it('HTTP 401 is RpcAuthFailed (not retried)', async () => {
    node = await fakeNode({ getblockchaininfo: () => ({ status: 401, body: '' }) });
    const e = await caught(client(node).tip());
    expect(RpcAuthFailed.isInstance(e)).toBe(true);
    expect(node.seen.length).toBe(1);
  });

  it('cookie auth re-reads a rotated cookie once after a 401', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cookie-'));
    const file = join(dir, '.cookie');
    writeFileSync(file, '__cookie__:old');
    let good = `Basic ${Buffer.from('__cookie__:new').toString('base64')}`;
    node = await fakeNode({
      getblockchaininfo: (r) =>
        r.authorization === good
          ? { result: { chain: 'regtest', blocks: 1, bestblockhash: 'cd'.repeat(32) } }
          : { status: 401, body: '' },
    });
    const rpc = new BitcoindRpc({
      url: node.url,
      auth: { cookieFile: file },
      network: 'regtest',
      sleep: noSleep,
    });
    writeFileSync(file, '__cookie__:new');
    expect((await rpc.tip()).height).toBe(1);
    good = 'nothing matches';
    expect(RpcAuthFailed.isInstance(await caught(rpc.tip()))).toBe(true);
    rmSync(dir, { recursive: true });
  });

  it('a node on another chain is WrongNetwork before any other call', async () => {
    node = await fakeNode({
      getblockchaininfo: () => ({ result: { chain: 'main', blocks: 1, bestblockhash: 'ab'.repeat(32) } }),
    });
    const e = await caught(client(node).blockHash(1));
    expect(WrongNetwork.isInstance(e)).toBe(true);
    expect(e).toMatchObject({ expected: 'regtest', actual: 'main' });
    expect(node.seen.map((s) => s.method)).toEqual(['getblockchaininfo']);
  });

  it('-28 warming up is retried with backoff, then surfaces as WarmingUp', async () => {
    node = await fakeNode({
      getblockchaininfo: () => ({ error: { code: -28, message: 'Loading block index…' } }),
    });
    const delays: number[] = [];
    const rpc = client(node, { retries: 2, retryDelayMs: 10, sleep: async (ms) => void delays.push(ms) });
    const e = await caught(rpc.tip());
    expect(WarmingUp.isInstance(e) && Unavailable.isInstance(e)).toBe(true);
    expect(delays).toEqual([10, 20]);
    expect(node.seen.length).toBe(3);
  });

  it('a node that does not answer times out as RpcTimeout', async () => {
    node = await fakeNode({ getblockhash: () => ({ hang: true }) });
    const e = await caught(client(node, { timeoutMs: 150, retries: 0 }).blockHash(3));
    expect(RpcTimeout.isInstance(e)).toBe(true);
  });

  it('a refused connection is Unavailable after the retries', async () => {
    const n = await fakeNode();
    const url = n.url;
    await n.close();
    let sleeps = 0;
    const rpc = new BitcoindRpc({
      url,
      auth: { user: 'u', password: 'p' },
      network: 'regtest',
      retries: 2,
      sleep: async () => void sleeps++,
    });
    const e = await caught(rpc.tip());
    expect(Unavailable.isInstance(e)).toBe(true);
    expect(sleeps).toBe(2);
  });

  it('sendrawtransaction is never retried, even on a transient failure', async () => {
    node = await fakeNode({ sendrawtransaction: () => ({ error: { code: -28, message: 'warming up' } }) });
    const e = await caught(client(node, { retries: 5 }).broadcast(raw));
    expect(WarmingUp.isInstance(e)).toBe(true);
    expect(node.seen.filter((s) => s.method === 'sendrawtransaction').length).toBe(1);
  });

  it('wallet calls go to /wallet/<name>', async () => {
    node = await fakeNode({
      getnewaddress: () => ({ result: 'bcrt1qxyz' }),
      generatetodescriptor: () => ({ result: ['ef'.repeat(32)] }),
    });
    expect(await client(node, { wallet: 'w 1' }).mine(1)).toEqual(['ef'.repeat(32)]);
    expect(node.seen.find((s) => s.method === 'getnewaddress')?.path).toBe('/wallet/w%201');
    expect(node.seen.find((s) => s.method === 'generatetodescriptor')?.params).toEqual([
      1,
      'addr(bcrt1qxyz)',
    ]);
  });
});

describe('BitcoindRpc maps rejections to Core reject strings', () => {
  const cases: [string, number, string, string, string | undefined][] = [
    ['a policy rejection', -26, 'non-BIP68-final', 'non-BIP68-final', undefined],
    [
      'a rejection with debug text',
      -26,
      'min relay fee not met, 0 < 111',
      'min relay fee not met',
      '0 < 111',
    ],
    [
      'a script failure',
      -26,
      'mempool-script-verify-flag-failed (Locktime requirement not satisfied), input 0 of abc',
      'mempool-script-verify-flag-failed (Locktime requirement not satisfied)',
      'input 0 of abc',
    ],
    [
      'missing inputs (RPC_VERIFY_ERROR)',
      -25,
      'bad-txns-inputs-missingorspent',
      'missing-inputs',
      'bad-txns-inputs-missingorspent',
    ],
    [
      'already confirmed',
      -27,
      'Transaction outputs already in utxo set',
      'txn-already-known',
      'Transaction outputs already in utxo set',
    ],
    [
      'undecodable',
      -22,
      'TX decode failed. Make sure the tx has at least one input.',
      'TX decode failed',
      undefined,
    ],
  ];
  for (const [what, code, message, reason, detail] of cases) {
    it(`${what}: ${code} "${message}" → ${reason}`, async () => {
      node = await fakeNode({ sendrawtransaction: () => ({ error: { code, message } }) });
      const e = await caught(client(node).broadcast(raw));
      expect(TxRejected.isInstance(e)).toBe(true);
      expect((e as TxRejected).reason).toBe(reason);
      if (detail !== undefined) expect((e as TxRejected).detail).toBe(detail);
      expect((e as TxRejected).txid).toBe(txidHex(tx));
    });
  }

  it('a successful broadcast must answer the txid of the transaction sent', async () => {
    node = await fakeNode({ sendrawtransaction: () => ({ result: txidHex(tx) }) });
    expect(await client(node).broadcast(raw)).toBe(txidHex(tx));
    node.handlers.sendrawtransaction = () => ({ result: 'ee'.repeat(32) });
    expect(MalformedReply.isInstance(await caught(client(node).broadcast(raw)))).toBe(true);
  });

  it('submitpackage: success, a per-transaction error, a package-level error over stale echoes, a real child error over an echo', async () => {
    const pw = wtxidHex(tx);
    const cw = wtxidHex(child);
    let answer: unknown = {
      package_msg: 'success',
      'tx-results': {
        [pw]: { txid: txidHex(tx), vsize: 100, fees: { base: 0 } },
        [cw]: { txid: txidHex(child), vsize: 100 },
      },
      'replaced-transactions': ['aa'.repeat(32)],
    };
    node = await fakeNode({ submitpackage: () => ({ result: answer }) });
    const rpc = client(node);
    expect(await rpc.broadcastPackage(raw, encodeTx(child))).toEqual({
      parentTxid: txidHex(tx),
      childTxid: txidHex(child),
      replacedTxids: ['aa'.repeat(32)],
    });
    answer = {
      package_msg: 'transaction failed',
      'tx-results': {
        [pw]: { txid: txidHex(tx), error: 'bad-txns-inputs-missingorspent' },
        [cw]: { txid: txidHex(child), error: 'unevaluated' },
      },
    };
    const e1 = (await caught(rpc.broadcastPackage(raw, encodeTx(child)))) as TxRejected;
    expect(e1.reason).toBe('bad-txns-inputs-missingorspent');
    expect(e1.txid).toBe(txidHex(tx));
    // Core's shape for a package-level failure: stale individual results, the cause in package_msg.
    answer = {
      package_msg: 'package RBF failed: insufficient anti-DoS fees, rejecting replacement x',
      'tx-results': {
        [pw]: { txid: txidHex(tx), error: 'min relay fee not met, 0 < 13' },
        [cw]: { txid: txidHex(child), error: 'bad-txns-inputs-missingorspent' },
      },
    };
    const e2 = (await caught(rpc.broadcastPackage(raw, encodeTx(child)))) as TxRejected;
    expect(e2.reason).toBe('package RBF failed: insufficient anti-DoS fees');
    // A child's real failure wins over the parent's echoed individual fee failure.
    answer = {
      package_msg: 'transaction failed',
      'tx-results': {
        [pw]: { txid: txidHex(tx), error: 'min relay fee not met, 0 < 13' },
        [cw]: {
          txid: txidHex(child),
          error: 'mempool-script-verify-flag-failed (Invalid Schnorr signature), input 0',
        },
      },
    };
    const e3 = (await caught(rpc.broadcastPackage(raw, encodeTx(child)))) as TxRejected;
    expect([e3.reason, e3.txid]).toEqual([
      'mempool-script-verify-flag-failed (Invalid Schnorr signature)',
      txidHex(child),
    ]);
    // Newer Cores mark transactions of an aborted package `package-not-validated`.
    answer = {
      package_msg: 'TRUC-violation, version=3 child tx x is too big',
      'tx-results': {
        [pw]: { txid: txidHex(tx), error: 'package-not-validated' },
        [cw]: { txid: txidHex(child), error: 'package-not-validated' },
      },
    };
    const e4 = (await caught(rpc.broadcastPackage(raw, encodeTx(child)))) as TxRejected;
    expect([e4.reason, e4.detail]).toEqual(['TRUC-violation', 'version=3 child tx x is too big']);
    answer = { package_msg: 'success', 'tx-results': { ['ZZ'.repeat(32)]: {} } };
    expect(MalformedReply.isInstance(await caught(rpc.broadcastPackage(raw, encodeTx(child))))).toBe(true);
  });
});

describe('BitcoindRpc validates every reply', () => {
  it('not JSON, a wrong id, a missing result and wrong field types are MalformedReply', async () => {
    node = await fakeNode({ getblockhash: () => ({ status: 200, body: '<html>' }) });
    const rpc = client(node);
    expect(MalformedReply.isInstance(await caught(rpc.blockHash(1)))).toBe(true);
    node.handlers.getblockhash = () => ({
      status: 200,
      body: JSON.stringify({ result: 'ab'.repeat(32), error: null, id: 999 }),
    });
    expect(MalformedReply.isInstance(await caught(rpc.blockHash(1)))).toBe(true);
    node.handlers.getblockhash = (r) => ({ status: 200, body: JSON.stringify({ error: null, id: r.id }) });
    expect(MalformedReply.isInstance(await caught(rpc.blockHash(1)))).toBe(true);
    node.handlers.getblockhash = () => ({ result: 'AB'.repeat(32) });
    expect(MalformedReply.isInstance(await caught(rpc.blockHash(1)))).toBe(true);
    node.handlers.getblockchaininfo = () => ({
      result: { chain: 'regtest', blocks: '7', bestblockhash: 'ab'.repeat(32) },
    });
    const e = await caught(rpc.tip());
    expect(e).toMatchObject({ code: 'CHAIN_RPC_MALFORMED_REPLY', path: 'result.blocks' });
  });

  it('an unknown height is NotFound; an unexpected HTTP status is MalformedReply', async () => {
    node = await fakeNode({
      getblockhash: () => ({ error: { code: -8, message: 'Block height out of range' } }),
    });
    expect(NotFound.isInstance(await caught(client(node).blockHash(99)))).toBe(true);
    node.handlers.getblockhash = () => ({ status: 302, body: '' });
    expect(MalformedReply.isInstance(await caught(client(node).blockHash(99)))).toBe(true);
  });

  it('a transaction answer for another txid, or a fractional-satoshi amount, is refused', async () => {
    node = await fakeNode({
      getrawtransaction: () => ({ result: { txid: 'ff'.repeat(32), hex: Buffer.from(raw).toString('hex') } }),
    });
    expect(MalformedReply.isInstance(await caught(client(node).getTransaction(txidHex(tx))))).toBe(true);
    node.handlers.getbalances = () => ({ result: { mine: { trusted: 0.123456789 } } });
    const e = await caught(
      client(node, { wallet: 'w' }).fund(Uint8Array.of(0x51, 0x20, ...new Uint8Array(32)), 1000n),
    );
    expect(e).toMatchObject({ code: 'CHAIN_RPC_MALFORMED_REPLY', path: 'result.mine.trusted' });
    expect(ChainError.isInstance(e)).toBe(true);
  });

  it('fee rates: BTC/kvB estimates become integer sat/kvB, floored at the relay fee and 1,000 for pre-signed', async () => {
    node = await fakeNode({
      getnetworkinfo: () => ({ result: { version: 300000, relayfee: 0.000001, incrementalfee: 0.000001 } }),
      estimatesmartfee: (r) =>
        (r.params as number[])[0] === 1
          ? { result: { feerate: 0.00012345, blocks: 1 } }
          : { result: { errors: ['Insufficient data'], blocks: 0 } },
    });
    const rpc = client(node, { fallbackFeeRate: 250 });
    expect(await rpc.policyInfo()).toEqual({
      version: 300000,
      minRelayFeeRate: 100,
      incrementalRelayFeeRate: 100,
    });
    expect(await rpc.feeRate('urgent')).toBe(12345);
    expect(await rpc.feeRate('economical')).toBe(250);
    expect(await rpc.feeRate('presigned')).toBe(1000);
  });
});
