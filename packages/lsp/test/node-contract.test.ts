// The execution contract over real loopback connections: persist happens-before send (checked from
// the peer's side against a deliberately slow store), fail-stop on a failing store or a throwing
// machine, a graceful stop, the event queue, and the chain (blocks, fee rates, broadcasts, wallet).

import {
  BlockFollower,
  createTx,
  encodeTx,
  FAUCET_SCRIPT,
  fromDisplayHex,
  SimChain,
} from '@superscalar/chain';
import { Bip86Account, generateMnemonic } from '@superscalar/keys';
import type { Store } from '@superscalar/persist';
import { Wallet } from '@superscalar/wallet';
import { afterAll, describe, expect, it } from 'vitest';
import { MachineFailedError, StoppedError } from '../src/index.js';
import type { LspNode, LspNodeOptions } from '../src/node/index.js';
import {
  controlledStore,
  type EchoCommand,
  startEchoClient,
  startEchoLsp,
  stoppedAfterEach,
  tempStores,
  waitFor,
} from './_echo.js';

const stores = tempStores();
const running = stoppedAfterEach();
afterAll(() => stores.cleanup());

const startLsp = (store: Store, extra: Partial<LspNodeOptions<EchoCommand>> = {}) =>
  startEchoLsp(store, running, extra);

async function startClient(lsp: LspNode<EchoCommand>, n: number) {
  const started = await startEchoClient(lsp, n, await stores.open(stores.path()), running);
  await started.client.whenConnected();
  return started;
}

describe('the execution contract', () => {
  it('persist happens-before send: when the peer receives the message, the store holds the update', async () => {
    const inner = await stores.open(stores.path());
    const { lsp, machine } = await startLsp(controlledStore(inner, 40));
    const { client, machine: cm } = await startClient(lsp, 1);
    await waitFor(() => machine.of('peer_connected').length === 1, 'the connection');
    const seen: (string | undefined)[] = [];
    cm.onMessage = (_peer, text) => {
      // On receipt, look at the LSP's store: the echo's update must already be there.
      const n = text.split(' ')[1];
      void inner
        .get('blobs', { key: `echo/${n}` })
        .then((b) => seen.push(b && new TextDecoder().decode(b.data)));
    };
    for (let i = 0; i < 5; i++) void lsp.command({ type: 'say', peer: client.nodeId, text: `m${i}` });
    await waitFor(() => seen.length === 5, 'five echoes');
    expect(seen).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(cm.of('message').map((m) => (m.message.type === 'warning' ? m.message.text : ''))).toEqual([
      'echo 1 m0',
      'echo 2 m1',
      'echo 3 m2',
      'echo 4 m3',
      'echo 5 m4',
    ]);
  });

  it('a failing store stops the machine: nothing after the failed persist leaves, connections close', async () => {
    const store = controlledStore(await stores.open(stores.path()));
    const failures: Error[] = [];
    const { lsp, machine } = await startLsp(store, { onFailure: (e) => failures.push(e) });
    const { client, machine: cm } = await startClient(lsp, 2);
    await waitFor(() => machine.of('peer_connected').length === 1, 'the connection');
    store.failing = true;
    const said = lsp.command({ type: 'say', peer: client.nodeId, text: 'never sent' });
    await expect(said).rejects.toSatisfy((e) => MachineFailedError.isInstance(e));
    const failure = await lsp.stopped;
    expect(MachineFailedError.isInstance(failure) && failure.code).toBe('LSP_MACHINE_FAILED');
    expect(failures).toEqual([failure]);
    await waitFor(() => cm.of('peer_disconnected').length > 0, 'the client to lose its connection');
    expect(cm.of('message')).toEqual([]); // the send after the failed persist never left
    await expect(lsp.command({ type: 'say', peer: client.nodeId, text: 'x' })).rejects.toBe(failure);
  });

  it('a machine that throws is stopped the same way', async () => {
    const { lsp } = await startLsp(await stores.open(stores.path()));
    await expect(lsp.command({ type: 'boom' })).rejects.toMatchObject({ code: 'LSP_MACHINE_FAILED' });
    expect((await lsp.stopped)?.cause).toMatchObject({ message: 'the machine has a bug' });
  });

  it('stop() is graceful: queued actions run to the end, then connections close, then the store', async () => {
    const store = await stores.open(stores.path());
    const { lsp } = await startLsp(store);
    const { client, machine: cm } = await startClient(lsp, 3);
    await waitFor(() => lsp.peers().length === 1, 'the connection');
    for (let i = 0; i < 20; i++)
      void lsp.command({ type: 'say', peer: client.nodeId, text: `${i}` }).catch(() => undefined);
    expect(await lsp.stop()).toBeUndefined();
    await waitFor(() => cm.of('peer_disconnected').length > 0, 'the client to see the close');
    expect(cm.of('message')).toHaveLength(20); // every queued send went out before the close
    await expect(store.lastUpdateId()).rejects.toMatchObject({ code: 'PERSIST_STORE_CLOSED' });
    await expect(lsp.command({ type: 'say', peer: client.nodeId, text: 'late' })).rejects.toSatisfy((e) =>
      StoppedError.isInstance(e),
    );
  });

  it('the event queue delivers the machine’s events in order and keeps its cursor', async () => {
    const path = stores.path();
    const { lsp } = await startLsp(await stores.open(path));
    for (let i = 0; i < 3; i++) await lsp.command({ type: 'say', peer: 'nobody', text: `${i}` });
    const first = await lsp.nextEvent();
    expect(first).toMatchObject({ kind: 'echoed', payload: new TextEncoder().encode('1') });
    await lsp.eventHandled();
    expect((await lsp.waitForEvent())?.payload).toEqual(new TextEncoder().encode('2'));
    await lsp.stop();
    const again = await startLsp(await stores.open(path));
    expect((await again.lsp.nextEvent())?.payload).toEqual(new TextEncoder().encode('2')); // not acknowledged
  });
});

describe('the chain', () => {
  it('blocks become block_connected with their txids; fee rates and broadcast results come back', async () => {
    const chain = new SimChain({ feeRates: { presigned: 2_000 } });
    const coin = await chain.fund(FAUCET_SCRIPT, 100_000n);
    const follower = new BlockFollower(chain);
    const { lsp, machine } = await startLsp(await stores.open(stores.path()), {
      chain: { follower, pollIntervalMs: 10, broadcaster: chain, fees: chain, feeIntervalMs: 10 },
    });
    await waitFor(() => machine.of('fee_rates').length === 1, 'fee rates');
    expect(machine.of('fee_rates')[0]?.rates.tree).toBe(2_000);
    await waitFor(async () => follower !== undefined && (await chain.tip()).height >= 0, 'the tip');
    const [block] = await chain.mine(1);
    await waitFor(() => machine.of('block_connected').some((b) => b.hash === block), 'the block');
    const connected = machine.of('block_connected').find((b) => b.hash === block);
    expect(connected?.txids).toEqual(chain.blockAt(connected?.height as number)?.txids);

    const tx = encodeTx(
      createTx({
        version: 2,
        locktime: 0,
        inputs: [
          {
            prevTxid: fromDisplayHex(coin.txid),
            vout: coin.vout,
            sequence: 0xfffffffd,
            witness: [Uint8Array.of(0x51)],
          },
        ],
        outputs: [{ value: 99_000n, script: FAUCET_SCRIPT }],
      }),
    );
    const txid = chain.testAccept(tx);
    await lsp.command({ type: 'broadcast', raw: Uint8Array.of(1, 2, 3), txid: 'ab'.repeat(32) });
    await lsp.command({ type: 'broadcast', raw: tx, txid });
    await waitFor(() => machine.of('broadcast_result').length === 2, 'two results');
    const [bad, good] = machine.of('broadcast_result');
    expect(bad).toMatchObject({ txid: 'ab'.repeat(32), error: { code: 'CHAIN_TX_REJECTED' } });
    expect(good).toEqual({ type: 'broadcast_result', txid });
  });

  it('a wallet given to the node follows the chain in the node’s own update sequence', async () => {
    const chain = new SimChain();
    const follower = new BlockFollower(chain);
    const account = Bip86Account.fromMnemonic(generateMnemonic(), { network: 'regtest' });
    const created = Wallet.create({ account, birthHeight: 0 });
    const store = await stores.open(stores.path());
    const address = created.wallet.newAddress();
    await store.applyUpdate({ id: 1n, ops: [...created.ops, ...address.ops] });
    const { lsp } = await startLsp(store, {
      wallet: created.wallet,
      chain: { follower, pollIntervalMs: 10 },
    });
    await chain.fund(address.script, 50_000n);
    await waitFor(() => created.wallet.balance().confirmed === 50_000n, 'the wallet to see its coin');
    // The wallet's balance moves before its block update is durable (the executor commits the persists
    // of one event-loop turn together): a command settles only after every persist queued before it.
    await lsp.command({ type: 'say', peer: 'nobody', text: 'barrier' });
    const before = await store.lastUpdateId();
    expect(before).toBeGreaterThan(2n); // beyond update 1 and the barrier's: the wallet's block updates
    await lsp.command({ type: 'say', peer: 'nobody', text: 'after' }); // and the machine's continue it
    expect(await store.lastUpdateId()).toBe(before + 1n);
  });
});
