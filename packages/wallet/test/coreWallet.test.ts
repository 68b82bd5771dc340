import { BlockFollower } from '@superscalar/chain';
import { discoverBitcoind, type RegtestNode, startRegtestNode } from '@superscalar/chain/bitcoind';
import { displayHex, encodeTxNoWitness, type Tx, txidBytes, txidBytesOf, txidOf } from '@superscalar/tx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  broadcastPending,
  type CoreRpcClient,
  CoreWallet,
  FeeRateTooLowError,
  followWallet,
  Wallet,
} from '../src/index.js';
import { account, foreignScript, MemoryBlobs, zeroFeeParent } from './_harness.js';

const found = discoverBitcoind();
const haveBitcoind = found.ok;
if (!found.ok)
  console.warn(
    `SKIPPED: wallet regtest suites (CoreWallet, Wallet over bitcoind) — ${found.why}${process.env.CI === 'true' ? ' [CI]' : ''}`,
  );

describe('CoreWallet with a fake RPC', () => {
  it('locks away a non-segwit input Core picked, retries, then locks the chosen inputs and unlocks the temporary ones', async () => {
    const calls: [string, unknown[]][] = [];
    const legacy = {
      txid: 'aa'.repeat(32),
      vout: 0,
      scriptPubKey: `76a914${'00'.repeat(20)}88ac`,
      desc: 'pkh(x)',
      confirmations: 5,
      amount: 1,
    };
    const tr = {
      txid: 'bb'.repeat(32),
      vout: 1,
      scriptPubKey: `5120${'11'.repeat(32)}`,
      desc: 'tr(x)',
      confirmations: 5,
      amount: 1,
    };
    const txWith = (u: { txid: string; vout: number }) =>
      Buffer.from(
        encodeTxNoWitness({
          version: 2,
          locktime: 0,
          inputs: [{ txidBytes: txidBytes(u.txid), vout: u.vout, sequence: 0xfffffffd }],
          outputs: [
            { value: 50_000n, script: foreignScript() },
            { value: 40_000n, script: foreignScript() },
          ],
        }),
      ).toString('hex');
    let funds = 0;
    const rpc: CoreRpcClient = {
      async rpc(method, params = []) {
        calls.push([method, params]);
        if (method === 'createrawtransaction') return '00';
        if (method === 'listunspent') return [legacy, tr];
        if (method === 'fundrawtransaction')
          return { hex: txWith(funds++ === 0 ? legacy : tr), fee: 0.00001, changepos: 1 };
        if (method === 'lockunspent') return true;
        throw new Error(`unexpected ${method}`);
      },
    };
    const w = new CoreWallet({ rpc, network: 'regtest' });
    const f = await w.buildFunding({
      outputs: [{ script: foreignScript(), value: 50_000n }],
      feeRate: 2_000,
    });
    expect(f.inputs).toEqual([{ txid: tr.txid, vout: 1 }]);
    expect(f.fee).toBe(1_000n);
    const locks = calls.filter((c) => c[0] === 'lockunspent').map((c) => c[1]);
    expect(locks).toEqual([
      [false, [{ txid: legacy.txid, vout: 0 }]],
      [false, [{ txid: tr.txid, vout: 1 }], true],
      [true, [{ txid: legacy.txid, vout: 0 }]],
    ]);
    const fund = calls.find((c) => c[0] === 'fundrawtransaction')![1][1] as Record<string, unknown>;
    expect(fund).toMatchObject({ minconf: 1, fee_rate: 2, add_inputs: true, include_unsafe: false });
    await expect(
      w.buildFunding({ outputs: [{ script: foreignScript(), value: 1n }], feeRate: 10 }),
    ).rejects.toBeInstanceOf(FeeRateTooLowError);
  });
});

describe.skipIf(!haveBitcoind)('on bitcoind regtest', () => {
  let node: RegtestNode;
  beforeAll(async () => {
    if (!found.ok) return;
    node = await startRegtestNode({ bin: found.bin, wallet: 'w' });
    const address = (await node.rpc.rpc('getnewaddress', ['', 'bech32m'], { wallet: true })) as string;
    await node.rpc.rpc('generatetoaddress', [110, address]); // mature coins for Core's wallet and fund()
  }, 60_000);
  afterAll(async () => node?.stop());

  it('CoreWallet funds at a fee rate from confirmed segwit inputs with change, signs, abandons by double-spend', async () => {
    const { rpc } = node;
    const w = new CoreWallet({ rpc, network: 'regtest' });
    const t0 = performance.now();
    const f = await w.buildFunding({
      outputs: [{ script: foreignScript(), value: 1_000_000n }],
      feeRate: 2_000,
    });
    const signed = await w.sign(f.hex);
    console.log(`Core wallet: fund + sign in ${(performance.now() - t0).toFixed(0)} ms, fee ${f.fee} sats`);
    expect(f.changeVout).toBe(1);
    expect(await rpc.broadcast(Buffer.from(signed, 'hex'))).toBe(f.txid);
    const ds = await w.abandon(f, { feeRate: 2_000 });
    expect(await rpc.broadcast(Buffer.from(ds.hex, 'hex'))).toBe(ds.txid);
    await rpc.mine(1);
    expect((await rpc.getTransaction(ds.txid)).confirmation).toBeDefined();
  });

  it('CoreWallet.release unlocks the inputs of an unbroadcast funding, and skips inputs a broadcast already spent', async () => {
    const { rpc } = node;
    const w = new CoreWallet({ rpc, network: 'regtest' });
    const locked = async () => ((await rpc.rpc('listlockunspent', [], { wallet: true })) as unknown[]).length;
    const before = await locked();
    const f = await w.buildFunding({
      outputs: [{ script: foreignScript(), value: 500_000n }],
      feeRate: 2_000,
    });
    expect(await locked()).toBe(before + f.inputs.length);
    await w.release(f.inputs);
    expect(await locked()).toBe(before);
    const g = await w.buildFunding({
      outputs: [{ script: foreignScript(), value: 500_000n }],
      feeRate: 2_000,
    });
    await rpc.broadcast(Buffer.from(await w.sign(g.hex), 'hex'));
    await w.release(g.inputs); // spent by the broadcast: Core refuses to unlock them, release skips them
    await rpc.mine(1);
  });

  it('CoreWallet signs its input of a v3 CPFP child that also spends a P2A anchor; submitpackage takes it', async () => {
    const { rpc } = node;
    const w = new CoreWallet({ rpc, network: 'regtest' });
    const { parent, parentRaw } = await zeroFeeParent((s, a) => rpc.fund(s, a));
    const coin = (
      (await rpc.rpc('listunspent', [1], { wallet: true })) as {
        txid: string;
        vout: number;
        amount: number;
      }[]
    )[0]!;
    const { script: change } = await w.newAddress();
    const child: Tx = {
      version: 3,
      locktime: 0,
      inputs: [
        { txidBytes: txidBytesOf(parent), vout: 1, sequence: 0xfffffffd },
        { txidBytes: txidBytes(coin.txid), vout: coin.vout, sequence: 0xfffffffd },
      ],
      outputs: [{ value: BigInt(Math.round(coin.amount * 1e8)) + 240n - 5_000n, script: change }],
    };
    const hex = await w.sign(Buffer.from(encodeTxNoWitness(child)).toString('hex'), [
      { txid: txidOf(parent), vout: 1, scriptPubKey: '51024e73', amount: 240n },
    ]);
    const t0 = performance.now();
    const r = await rpc.broadcastPackage(parentRaw, Buffer.from(hex, 'hex'));
    console.log(`Core wallet: CPFP package accepted in ${(performance.now() - t0).toFixed(0)} ms`);
    expect(r.parentTxid).toBe(txidOf(parent));
    expect(displayHex(txidBytesOf(child))).toBe(r.childTxid);
  });

  it('the BIP86 Wallet runs over BitcoindRpc unchanged: receives, funds at an exact fee, confirms', async () => {
    const { rpc } = node;
    const store = new MemoryBlobs();
    const created = Wallet.create({ account: account(3), birthHeight: (await rpc.tip()).height + 1 });
    store.apply(created.ops);
    const wallet = created.wallet;
    const follower = new BlockFollower(rpc);
    followWallet({ wallet, follower, commit: store.commit });
    const a = wallet.newAddress();
    store.apply(a.ops);
    await rpc.fund(a.script, 300_000n);
    await follower.poll();
    expect(wallet.balance().confirmed).toBe(300_000n);
    const { funding, ops } = wallet.buildFunding({
      outputs: [{ script: foreignScript(), value: 200_000n }],
      feeRate: 2_000,
      owner: 'f',
      expiresAtHeight: wallet.tipHeight + 10,
    });
    store.apply(ops);
    store.apply(wallet.sign(funding.txid).ops);
    expect(await broadcastPending({ wallet, chain: rpc, txid: funding.txid, commit: store.commit })).toBe(
      funding.txid,
    );
    await rpc.mine(1);
    await follower.poll();
    expect(wallet.tx(funding.txid)?.state).toBe('confirmed');
    expect(wallet.balance().confirmed).toBe(100_000n - funding.fee);
  });
});
