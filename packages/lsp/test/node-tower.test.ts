// The embedded watchtower of the Node runtimes (issue 23): on by default when the chain ports can run
// it, over the node's own store and update sequence and its block follower; entries a machine
// persists are indexed from the durable update, a confirmed trigger is answered, a factory's end
// prunes its entries; `tower: false` runs none (a standalone tower reads the store instead).
import {
  BlockFollower,
  createTx,
  decodeTx,
  encodeTx,
  FAUCET_SCRIPT,
  fromDisplayHex,
  SimChain,
  txidHex,
} from '@superscalar/chain';
import { ClientNode } from '@superscalar/client/node';
import { defaultTowerAccount, nodeIdOf } from '@superscalar/client/runtime';
import type { Op } from '@superscalar/persist';
import { P2A_SCRIPT } from '@superscalar/tx';
import { penaltyEntries, type TowerEvent } from '@superscalar/watchtower';
import { afterAll, describe, expect, it } from 'vitest';
import type { Action, RuntimeInput } from '../src/index.js';
import { LspNode } from '../src/node/index.js';
import {
  clientSecret,
  LOOSE_LIMITS,
  LSP_ID,
  LSP_SECRET,
  stoppedAfterEach,
  tempStores,
  waitFor,
} from './_echo.js';

const stores = tempStores();
const running = stoppedAfterEach();
afterAll(() => stores.cleanup());

type OpsCommand = { readonly type: 'ops'; readonly ops: readonly Op[] };

/** A machine that persists what it is told (and ignores everything else). */
class OpsMachine {
  readonly tip = null;
  constructor(readonly nodeId: string) {}
  handle(input: RuntimeInput | OpsCommand): readonly Action[] {
    return input.type === 'ops' ? [{ kind: 'persist', ops: input.ops }] : [];
  }
}

const FACTORY = new Uint8Array(32).fill(0xfa);

/** A confirmed coin, a trigger spending it and a witnessed v3 response with a P2A anchor. */
function synthetic(chain: SimChain) {
  const coin = chain.fundSync(FAUCET_SCRIPT, 50_000n);
  const trigger = encodeTx(
    createTx({
      version: 3,
      locktime: 0,
      inputs: [
        {
          prevTxid: fromDisplayHex(coin.txid),
          vout: coin.vout,
          sequence: 0xfffffffd,
          witness: [Uint8Array.of(0x51)],
        },
      ],
      outputs: [{ value: 49_000n, script: FAUCET_SCRIPT }],
    }),
  );
  const triggerTxid = txidHex(decodeTx(trigger));
  const response = encodeTx(
    createTx({
      version: 3,
      locktime: 0,
      inputs: [
        {
          prevTxid: fromDisplayHex(triggerTxid),
          vout: 0,
          sequence: 0xfffffffd,
          witness: [Uint8Array.of(0x51)],
        },
      ],
      outputs: [
        { value: 47_760n, script: FAUCET_SCRIPT },
        { value: 240n, script: P2A_SCRIPT },
      ],
    }),
  );
  return { coin, trigger, triggerTxid, response, responseTxid: txidHex(decodeTx(response)) };
}

describe('the embedded tower of LspNode and ClientNode', () => {
  it('runs by default over the node’s store, sequencer and follower: indexes, answers, prunes', async () => {
    const chain = new SimChain();
    chain.mineSync(1);
    const follower = new BlockFollower(chain);
    const store = await stores.open(stores.path());
    const events: TowerEvent[] = [];
    const lsp = await LspNode.start<OpsCommand>({
      machine: new OpsMachine(LSP_ID),
      nodeSecret: LSP_SECRET,
      network: 'regtest',
      store,
      limits: LOOSE_LIMITS,
      chain: { follower, pollIntervalMs: 10, broadcaster: chain, fees: chain },
      tower: {
        onEvent: (e) => {
          events.push(e);
        },
      },
    });
    running.push(lsp);
    const tower = lsp.tower;
    if (tower === undefined) throw new Error('no embedded tower');
    // its records live in the node's store; its fee wallet is the default account of the node secret
    expect((await store.list('blobs')).some((b) => b.key === 'tower/main/meta')).toBe(true);
    const fee = await tower.feeAddress();
    expect(fee.script).toEqual(defaultTowerAccount(LSP_SECRET, 'regtest').deriveKey(0, 0).scriptPubKey);

    // the machine persists an entry: the durable update reaches the tower's index
    const s = synthetic(chain);
    const entry = penaltyEntries({
      factoryId: FACTORY,
      copies: [
        {
          funding: { txid: s.coin.txid, vout: s.coin.vout },
          commitmentTxid: s.triggerTxid,
          penalties: [s.response],
        },
      ],
    });
    await lsp.command({ type: 'ops', ops: entry.ops });
    expect(tower.tower.triggersIn({ txids: ['coinbase', s.triggerTxid] })).toEqual([s.triggerTxid]);

    // the trigger confirms: the tower sends the response (alone: no fee coin), the next block has it
    await chain.broadcast(s.trigger);
    await chain.mine(1);
    await waitFor(() => chain.mempool().includes(s.responseTxid), 'the response in the mempool');
    await chain.mine(1);
    await waitFor(() => events.some((e) => e.type === 'response_confirmed'), 'the response to confirm');
    expect(events.find((e) => e.type === 'fee_coins_exhausted')).toBeDefined();

    // another factory ends: nothing of this one is pruned
    const other = new TextEncoder().encode(JSON.stringify({ factoryId: `${'00'.repeat(31)}fa` }));
    await lsp.command({ type: 'ops', ops: [{ op: 'event', kind: 'FactoryClosed', payload: other }] });
    await tower.idle();
    expect(await store.list('watchEntries')).toHaveLength(1);
    // this factory ends (its journal event): the tower prunes its entries in an update of its own
    await lsp.command({
      type: 'ops',
      ops: [
        {
          op: 'event',
          kind: 'FactoryClosed',
          payload: new TextEncoder().encode(JSON.stringify({ factoryId: 'fa'.repeat(32) })),
        },
      ],
    });
    await tower.idle();
    expect(await store.list('watchEntries')).toEqual([]);
    expect(tower.tower.indexedEntries).toBe(0);
  });

  it('tower: false runs none (a standalone tower reads the store instead); ClientNode embeds one too', async () => {
    const chain = new SimChain();
    const follower = new BlockFollower(chain);
    const store = await stores.open(stores.path());
    const lsp = await LspNode.start<OpsCommand>({
      machine: new OpsMachine(LSP_ID),
      nodeSecret: LSP_SECRET,
      network: 'regtest',
      store,
      limits: LOOSE_LIMITS,
      chain: { follower, pollIntervalMs: 0, broadcaster: chain, fees: chain },
      tower: false,
    });
    running.push(lsp);
    expect(lsp.tower).toBeUndefined();
    expect((await store.list('blobs')).some((b) => b.key.startsWith('tower/'))).toBe(false);

    const secret = clientSecret(1);
    const client = await ClientNode.start<OpsCommand>({
      machine: new OpsMachine(nodeIdOf(secret)),
      nodeSecret: secret,
      network: 'regtest',
      store: await stores.open(stores.path()),
      lsp: lsp.connectString,
      chain: { follower: new BlockFollower(chain), pollIntervalMs: 0, broadcaster: chain, fees: chain },
    });
    running.push(client);
    expect(client.tower).toBeDefined();
    // without a fee estimator (or broadcaster) there is nothing to run it with
    const bare = await ClientNode.start<OpsCommand>({
      machine: new OpsMachine(nodeIdOf(clientSecret(2))),
      nodeSecret: clientSecret(2),
      network: 'regtest',
      store: await stores.open(stores.path()),
      lsp: lsp.connectString,
      chain: { follower: new BlockFollower(chain), pollIntervalMs: 0 },
    });
    running.push(bare);
    expect(bare.tower).toBeUndefined();
  });
});
