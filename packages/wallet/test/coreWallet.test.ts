// The Core-wallet adapter. The regtest suite needs a `bitcoind` binary (BITCOIND or PATH); without one
// it is skipped with the reason printed. The fake-RPC suite checks the adapter's own logic everywhere.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BitcoindRpc } from '@superscalar/chain/bitcoind';
import { encodeTxNoWitness, txidBytes } from '@superscalar/tx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CoreRpcClient, CoreWallet, FeeRateTooLowError } from '../src/index.js';
import { foreignScript } from './_harness.js';

const bitcoind = process.env.BITCOIND ?? 'bitcoind';
const haveBitcoind = spawnSync(bitcoind, ['-version'], { encoding: 'utf8' }).status === 0;
if (!haveBitcoind)
  console.warn(
    `SKIPPED: Core-wallet adapter regtest suite — no bitcoind binary (set BITCOIND=/path/to/bitcoind, Core ≥ 28)${process.env.CI === 'true' ? ' [CI]' : ''}`,
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

describe.skipIf(!haveBitcoind)('CoreWallet on bitcoind regtest', () => {
  let node: ChildProcess | undefined;
  let dir = '';
  let rpc: BitcoindRpc;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wallet-core-'));
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    node = spawn(bitcoind, [
      '-regtest',
      `-datadir=${dir}`,
      `-rpcport=${port}`,
      '-port=0',
      '-listen=0',
      '-txindex=1',
      '-fallbackfee=0.0001',
      '-server=1',
    ]);
    rpc = new BitcoindRpc({
      url: `http://127.0.0.1:${port}`,
      auth: { cookieFile: join(dir, 'regtest', '.cookie') },
      network: 'regtest',
      wallet: 'w',
    });
    for (let i = 0; ; i++) {
      try {
        await rpc.rpc('getblockcount');
        break;
      } catch (e) {
        if (i > 100) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    await rpc.rpc('createwallet', ['w']);
  }, 60_000);
  afterAll(async () => {
    try {
      await rpc.rpc('stop');
    } catch {}
    await new Promise((r) => (node?.exitCode === null ? node.once('exit', r) : r(undefined)));
    rmSync(dir, { recursive: true, force: true });
  });

  it('funds at a fee rate from confirmed segwit inputs with change, signs, abandons by double-spend', async () => {
    const w = new CoreWallet({ rpc, network: 'regtest' });
    const { address } = await w.newAddress();
    await rpc.rpc('generatetoaddress', [101, address]);
    const t0 = performance.now();
    const f = await w.buildFunding({
      outputs: [{ script: foreignScript(), value: 1_000_000n }],
      feeRate: 2_000,
    });
    const signed = await w.sign(f.hex);
    const ms = performance.now() - t0;
    console.log(`Core wallet: fund + sign in ${ms.toFixed(0)} ms, fee ${f.fee} sats`);
    expect(await rpc.broadcast(Buffer.from(signed, 'hex'))).toBe(f.txid);
    const ds = await w.abandon(f, { feeRate: 2_000 });
    expect(await rpc.broadcast(Buffer.from(ds.hex, 'hex'))).toBe(ds.txid);
    await rpc.mine(1);
    expect((await rpc.getTransaction(ds.txid)).confirmation).toBeDefined();
  });
});
