// Brief §6 on SimChain: the cooperative close confirms and pays the right amounts; a close that
// underpays a client is refused by that client's check.
import { vsize as chainVsize, decodeTx, SimChain } from '@superscalar/chain';
import type { Tx } from '@superscalar/tx';
import { describe, expect, it } from 'vitest';
import {
  buildCooperativeClose,
  CloseRejectedError,
  checkCooperativeClose,
  cooperativeCloseSighash,
  FactoryTreeError,
  signedCloseBytes,
} from '../src/index.js';
import { feePaid, openFactory, signJob, verifyStandard } from './_harness.js';
import { withInput0 } from './_txkit.js';

describe('cooperative close on SimChain', () => {
  it('confirms at the proposed tip and pays every client its balance at its close address, the LSP the rest minus the fee', () => {
    const chain = new SimChain();
    const f = openFactory(chain, { n: 4 });
    const { tree } = f;
    const p = tree.proposal;
    const balances = [61_234n, 250n, 100_000n, 0n];
    const close = buildCooperativeClose(tree, { balances, tipHeight: chain.height, closeFeeRate: 1_500 });
    expect(close.tx).toMatchObject({
      version: 2,
      locktime: chain.height,
      inputs: [{ sequence: 0xfffffffd }],
    });
    expect(close.dustBalances).toEqual([{ client: 1, balance: 250n }]);
    expect(close.outputs.map((o) => o.owner)).toEqual([0, 2, -1]);
    expect(close.lspAmount).toBe(p.funding.amount - 61_234n - 100_000n - close.fee);
    // Every client's own check passes, each computing the same message.
    balances.forEach((b, i) => {
      checkCooperativeClose(tree, { client: i, balance: b, tx: close.tx });
      expect(cooperativeCloseSighash(tree, close.tx)).toEqual(close.sighash);
    });
    expect(close.job.signers).toHaveLength(5);
    const bytes = signedCloseBytes(close, signJob(close.job, f.who.secretKeys));
    verifyStandard(bytes, [close.spent]);
    const v = chainVsize(decodeTx(bytes));
    expect(v).toBe(close.vsize);
    expect(feePaid(bytes, [close.spent])).toBe((1_500n * BigInt(v) + 999n) / 1000n);
    const txid = chain.broadcastSync(bytes);
    expect(txid).toBe(close.txid);
    chain.mineSync(1);
    const scripts = [p.clients[0]?.closeScript, p.clients[2]?.closeScript, p.lsp.closeScript];
    [61_234n, 100_000n, close.lspAmount].forEach((value, vout) => {
      expect(chain.utxo({ txid, vout })).toMatchObject({ value, scriptPubKey: scripts[vout] });
    });
  }, 120_000);

  it('a close that moves a client balance to the LSP is refused by that client, even though an output of that size exists', () => {
    const chain = new SimChain();
    const f = openFactory(chain, { n: 4 });
    const { tree } = f;
    const balances = [60_000n, 40_000n, 30_000n, 20_000n];
    const close = buildCooperativeClose(tree, { balances, tipHeight: chain.height, closeFeeRate: 1_000 });
    const outs = close.tx.outputs;
    // Client 0's output dropped, its balance added to the LSP's output (the C client would sign this).
    const robbed: Tx = {
      ...close.tx,
      outputs: [
        ...outs.slice(1, -1),
        { ...(outs.at(-1) as (typeof outs)[number]), value: close.lspAmount + 60_000n },
      ],
    };
    const err = (() => {
      try {
        checkCooperativeClose(tree, { client: 0, balance: 60_000n, tx: robbed });
      } catch (e) {
        return e;
      }
    })();
    expect(CloseRejectedError.isInstance(err) && err instanceof CloseRejectedError).toBe(true);
    expect(FactoryTreeError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({ client: 0, fault: 'no-own-output', code: 'TREE_CLOSE_REJECTED' });
    // The others are still paid: they would sign.
    for (const i of [1, 2, 3])
      expect(() =>
        checkCooperativeClose(tree, { client: i, balance: balances[i] as bigint, tx: robbed }),
      ).not.toThrow();
    // One sat short at its own address: underpaid.
    const short: Tx = {
      ...close.tx,
      outputs: [{ ...(outs[0] as (typeof outs)[number]), value: 59_999n }, ...outs.slice(1)],
    };
    expect(() => checkCooperativeClose(tree, { client: 0, balance: 60_000n, tx: short })).toThrow(
      expect.objectContaining({ client: 0, fault: 'underpaid' }),
    );
    // Another factory's outpoint, or the wrong nSequence.
    expect(() =>
      checkCooperativeClose(tree, {
        client: 0,
        balance: 60_000n,
        tx: withInput0(close.tx, { vout: (close.tx.inputs[0]?.vout as number) + 1 }),
      }),
    ).toThrow(expect.objectContaining({ fault: 'wrong-input' }));
    expect(() =>
      checkCooperativeClose(tree, {
        client: 0,
        balance: 60_000n,
        tx: withInput0(close.tx, { sequence: 0xffffffff }),
      }),
    ).toThrow(expect.objectContaining({ fault: 'wrong-form' }));
  });
});
