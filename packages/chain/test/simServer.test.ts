// The SimChain server beyond the conformance suite: auth like Core, the block follower over
// BitcoindRpc → server across a reorg, state that survives kill -9 of the server (journal replay, a
// torn last line dropped), and a server that outlives a client killed with -9 mid-work.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BitcoindRpc } from '../src/bitcoind/index.js';
import { BlockFollower, type ChainEvent, RpcAuthFailed, RpcError, scriptToAddress } from '../src/index.js';
import { spawnSimServer, startSimServer } from '../src/sim-server/index.js';
import { key, p2trKeyPath, spend } from '../src/testing/_txkit.js';

const dirs: string[] = [];
const cleanups: (() => Promise<void>)[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'simserver-'));
  dirs.push(d);
  return d;
};
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const rpcOf = (url: string, cookieFile: string) =>
  new BitcoindRpc({ url, auth: { cookieFile }, network: 'regtest', wallet: 'w', pollIntervalMs: 20 });

const kp = p2trKeyPath(key(7));

describe('SimChain server', () => {
  it('binds 127.0.0.1, refuses wrong credentials with 401 (RpcAuthFailed), answers unknown methods like Core', async () => {
    const server = await startSimServer({ auth: { user: 'u', password: 'p' } });
    cleanups.push(() => server.close());
    expect(server.host).toBe('127.0.0.1');
    const good = new BitcoindRpc({ url: server.url, auth: { user: 'u', password: 'p' }, network: 'regtest' });
    expect((await good.tip()).height).toBe(0);
    const bad = new BitcoindRpc({ url: server.url, auth: { user: 'u', password: 'x' }, network: 'regtest' });
    await expect(bad.tip()).rejects.toSatisfy((e) => RpcAuthFailed.isInstance(e));
    const res = await fetch(server.url, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    const unknown = await good.rpc('getchaintips').catch((e) => e);
    expect(RpcError.isInstance(unknown) && unknown.rpcCode).toBe(-32601);
    // A wrong network is refused by the client, as against bitcoind.
    const main = new BitcoindRpc({ url: server.url, auth: { user: 'u', password: 'p' }, network: 'mainnet' });
    await expect(main.blockHash(0)).rejects.toMatchObject({ code: 'CHAIN_WRONG_NETWORK' });
  });

  it('the block follower over BitcoindRpc → server follows a 3-block reorg in order', async () => {
    const server = await startSimServer({ datadir: tempDir() });
    cleanups.push(() => server.close());
    const rpc = rpcOf(server.url, server.cookieFile!);
    await rpc.mine(10);
    const f = new BlockFollower(rpc);
    const log: string[] = [];
    f.subscribe({
      name: 'log',
      from: { height: -1 },
      onEvent: (e: ChainEvent) => void log.push(`${e.type === 'connected' ? '+' : '-'}${e.block.height}`),
    });
    await f.poll();
    log.length = 0;
    await rpc.invalidateBlock(await rpc.blockHash(8));
    await rpc.mine(4, { scriptPubKey: kp.script });
    await f.poll();
    expect(log).toEqual(['-10', '-9', '-8', '+8', '+9', '+10', '+11']);
  });

  it('kill -9 of the server loses nothing it answered: blocks, an invalidation and the mempool come back on restart', async () => {
    const dir = tempDir();
    let server = await spawnSimServer({ datadir: dir });
    let rpc = rpcOf(server.url, server.cookieFile!);
    const f = await rpc.fund(kp.script, 100_000n);
    const s = spend({
      inputs: [
        {
          from: { txid: f.txid, vout: f.vout, value: f.amount, script: kp.script },
          signer: { kind: 'key', priv: kp.priv },
        },
      ],
      outputs: [{ value: 99_000n, script: kp.script }],
    });
    const [stale] = await rpc.mine(3);
    await rpc.invalidateBlock(stale!);
    await rpc.mine(1, { scriptPubKey: kp.script });
    const pending = await rpc.broadcast(s.raw);
    const sent = (await rpc.rpc('sendtoaddress', [scriptToAddress(kp.script), 0.0005])) as string;
    const tipBefore = await rpc.tip();
    const cookieBefore = readFileSync(server.cookieFile!, 'utf8');
    await server.kill('SIGKILL');

    server = await spawnSimServer({ datadir: dir, port: server.port });
    cleanups.push(() => server.kill());
    rpc = rpcOf(server.url, server.cookieFile!);
    expect(readFileSync(server.cookieFile!, 'utf8')).not.toBe(cookieBefore);
    expect(await rpc.tip()).toEqual(tipBefore);
    expect((await rpc.getTransaction(pending)).confirmation).toBeUndefined();
    expect((await rpc.getTransaction(sent)).confirmation).toBeUndefined();
    expect((await rpc.getTransaction(f.txid)).confirmation?.height).toBe(f.height);
    await rpc.mine(1);
    expect((await rpc.getTransaction(pending)).confirmation?.confirmations).toBe(1);
  });

  it('a torn last journal line (kill -9 mid-write) is dropped on restart', async () => {
    const dir = tempDir();
    let server = await startSimServer({ datadir: dir });
    await rpcOf(server.url, server.cookieFile!).mine(5);
    const tip = await rpcOf(server.url, server.cookieFile!).tip();
    await server.close();
    appendFileSync(join(dir, 'simchain.journal'), '{"op":"mine","t":1,"n":3,"scr');
    server = await startSimServer({ datadir: dir });
    cleanups.push(() => server.close());
    const rpc = rpcOf(server.url, server.cookieFile!);
    expect(await rpc.tip()).toEqual(tip);
    await rpc.mine(1);
    expect((await rpc.tip()).height).toBe(tip.height + 1);
    expect(readFileSync(join(dir, 'simchain.journal'), 'utf8').endsWith('\n')).toBe(true);
  });

  it('outlives a client process killed with -9 while it mines', async () => {
    const dir = tempDir();
    const server = await spawnSimServer({ datadir: dir });
    cleanups.push(() => server.kill());
    const cookie = readFileSync(server.cookieFile!, 'utf8');
    const script = `
      const auth = 'Basic ' + Buffer.from(${JSON.stringify(cookie)}).toString('base64');
      let id = 0;
      for (;;) {
        const r = await fetch(${JSON.stringify(server.url)}, { method: 'POST', headers: { authorization: auth },
          body: JSON.stringify({ id: ++id, method: 'generatetodescriptor', params: [1, 'raw(51)'] }) });
        await r.json();
        if (id === 5) console.log('mined');
      }`;
    const client = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => client.stdout!.once('data', () => resolve()));
    const exited = new Promise((resolve) => client.once('exit', resolve));
    client.kill('SIGKILL');
    await exited;
    const rpc = rpcOf(server.url, server.cookieFile!);
    const tip = await rpc.tip();
    expect(tip.height).toBeGreaterThanOrEqual(5);
    // The chain is whole: a follower from genesis rebuilds exactly the hashes the server serves.
    const f = new BlockFollower(rpc);
    const view: string[] = [];
    f.subscribe({
      name: 'v',
      from: { height: -1 },
      onEvent: (e) => void (e.type === 'connected' && view.push(e.block.hash)),
    });
    await f.poll();
    const latest = await rpc.tip();
    expect(view.length).toBe(latest.height + 1);
    expect(view[latest.height]).toBe(latest.hash);
  });
});
