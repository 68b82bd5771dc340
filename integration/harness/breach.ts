// Cheating on purpose, for the watchtower tests and the demo's --breach: read a role's signed
// commitment from its store (before it is revoked), publish a client's factory path (each
// transaction once the chain takes it), then broadcast the commitment.
import { type Broadcaster, type ChainSource, TxRejected } from '@superscalar/chain';
import { buildClientPath, type Proposal, signedTxBytes, type TreeTx } from '@superscalar/factory-tree';
import type { Keychain } from '@superscalar/keys';
import type { Store } from '@superscalar/persist';
import { Channel, type Commitment } from '@superscalar/poon-dryja';

/** A holder's signed commitment, as a force close would broadcast it. */
export interface HeldCommitment {
  readonly txid: string;
  readonly raw: Uint8Array;
  readonly commitment: Commitment;
  /** The holder's `to_local` output (what a penalty takes), if any. */
  readonly toLocal: { readonly vout: number; readonly amount: bigint } | undefined;
}

/**
 * The latest commitment `role` holds on a channel, from its store: the channel state restored with
 * the role's keys (`factoryIndex` is the role's own index of the factory; `clientIndex` the client's).
 */
export async function heldCommitment(o: {
  readonly role: 'lsp' | 'client';
  readonly store: Pick<Store, 'get'>;
  readonly keychain: Keychain;
  readonly factoryIndex: number;
  readonly clientIndex: number;
  readonly channelId: string;
}): Promise<HeldCommitment> {
  const b = await o.store.get('blobs', { key: `${o.role}/c/${o.channelId}` });
  if (b === undefined) throw new Error(`no channel ${o.channelId} in the ${o.role}'s store`);
  const k = o.keychain.channelKeys(o.factoryIndex, o.clientIndex);
  const ch = Channel.restore(
    b.data,
    {
      fundingSecret: o.keychain.factoryKey(o.factoryIndex).secretKey,
      shachainSeed: k.shachainSeed.secret,
      revocationBasepointSecret: k.revocation.secretKey,
    },
    { sweepScript: o.keychain.closeAddress(o.factoryIndex).scriptPubKey },
  );
  const { commitment, bytes } = ch.forceCloseTransaction();
  const out = commitment.outputs.find((x) => x.role === 'to_local');
  return {
    txid: commitment.txid,
    raw: bytes,
    commitment,
    toLocal: out === undefined ? undefined : { vout: out.vout, amount: out.amount },
  };
}

/** A client's signed path (root kickoff first), rebuilt from the proposal and its path signatures. */
export function signedPath(
  proposal: Proposal,
  clientIndex: number,
  signatures: readonly { readonly signature: Uint8Array }[],
): { readonly tx: TreeTx; readonly raw: Uint8Array }[] {
  const path = buildClientPath(proposal, clientIndex);
  return path.txs.map((tx, k) => ({
    tx,
    raw: signedTxBytes(tx, (signatures[k] as { signature: Uint8Array }).signature),
  }));
}

/**
 * Gets every transaction of `txs` confirmed in order: each is broadcast as soon as the chain takes it
 * (a relative lock refuses it as `non-BIP68-final` until then; a tower may have sent it already),
 * mining one block at a time through `mine` (which lets every role and tower see the block).
 * Returns the height each confirmed at.
 */
export async function publishInOrder(
  chain: Pick<ChainSource, 'getTransaction'> & Pick<Broadcaster, 'broadcast'>,
  txs: readonly { readonly txid: string; readonly raw: Uint8Array }[],
  mine: () => Promise<void>,
  maxBlocks = 500,
): Promise<Map<string, number>> {
  const at = new Map<string, number>();
  let blocks = 0;
  for (const t of txs) {
    for (;;) {
      const info = await chain.getTransaction(t.txid).catch(() => undefined);
      if (info?.confirmation !== undefined) {
        at.set(t.txid, info.confirmation.height);
        break;
      }
      if (info === undefined)
        try {
          await chain.broadcast(t.raw);
        } catch (e) {
          if (!TxRejected.isInstance(e) || e.reason !== 'non-BIP68-final') throw e;
        }
      if (++blocks > maxBlocks) throw new Error(`${t.txid} did not confirm within ${maxBlocks} blocks`);
      await mine();
    }
  }
  return at;
}
