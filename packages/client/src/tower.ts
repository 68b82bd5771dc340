/**
 * What the client hands its watchtower (brief §11), as `@superscalar/persist` operations the machine
 * puts in the **same** persist action as the state they protect, so they are durable before anything
 * that depends on them leaves (the execution contract: a persist is durable before any later action).
 * Browser-safe: the builders are `@superscalar/watchtower`'s pure functions; the tower itself runs in
 * the runtime (`EmbeddedTower` of `@superscalar/client/runtime`) or standalone over the client's store.
 *
 * - **Revoked commitments** of the LSP: when a `revoke_and_ack` of the LSP is accepted, the channel
 *   persists its state with the revoked commitment's pre-signed penalties (every outpoint copy) and
 *   asks for a watch; {@link onChannelWatch} turns that request into `penaltyEntries` rows, merged
 *   into the channel state's persist (the `Out` merges consecutive persists into one update). The
 *   client's own `revoke_and_ack` and any fulfil wait for that persist.
 * - **Guarded kickoffs** of its path: {@link guardPathOps} — for each kickoff of its path, the newest
 *   signed state spending it (`staleStateEntry`), written with the verified `factory_signed` and
 *   again whenever the path's states change (an advance: call it with the new path and signatures).
 * - **Superseded leaf states** (advances, brief §5.3/§5.4): {@link supersededStateOps} (the poison and
 *   the client's own settlement) and {@link revealedSecretOps} (`s_c`, checked against the poison
 *   leaf). The advance flow (`advance.ts`) puts {@link clientAdvanceTowerOps} (the new path's
 *   kickoffs and the superseded state's poison and settlement) in the update that records the
 *   verified `advance_done`, before its channel moves to the new outpoint, and
 *   {@link revealedSecretOps} in the update that stores `lstock_secret`.
 *
 * Entries are pruned by the runtime when the factory ends (`closeFactoryOps`, on `FactoryClosed` or
 * `FactoryAbandoned`).
 *
 * @module
 */
import {
  type ClientPath,
  type PoisonTx,
  type SupersededResponse,
  signedTxBytes,
  type TreeTx,
} from '@superscalar/factory-tree';
import type { Op } from '@superscalar/persist';
import type { WatchRequest } from '@superscalar/poon-dryja';
import {
  lstockSecretEntry,
  revokedCommitmentOps,
  staleStateEntry,
  supersededStateEntries,
  uniqueBlobPuts,
} from '@superscalar/watchtower';
import type { ClientCore, ClientFactory } from './_core.js';

/** A channel's `watch` action: a revoked LSP commitment becomes tower entries in the current persist. */
export function onChannelWatch(core: ClientCore, f: ClientFactory, watch: WatchRequest): void {
  if (watch.type !== 'revoked') {
    core.log('debug', 'channel watch request', { channelId: f.channelIdHex, watch: watch.type });
    return;
  }
  let ops: Op[];
  try {
    ops = revokedCommitmentOps(f.id, watch.copies);
  } catch (e) {
    // A penalty the tower refuses is a bug (poon-dryja builds them within TRUC's limits): report it,
    // and still let the channel persist the revocation it depends on.
    const message = (e as Error)?.message ?? String(e);
    core.log('error', 'tower entries refused', { channelId: f.channelIdHex }, e);
    core.event({ kind: 'InvariantViolated', invariant: 'tower: penalty entries', message });
    return;
  }
  core.persist(ops);
  core.log('debug', 'tower entries for a revoked commitment', {
    channelId: f.channelIdHex,
    commitmentNumber: watch.commitmentNumber,
    entries: ops.length,
  });
}

/**
 * The stale-state entries of a signed path: for every kickoff of the path, the next transaction when
 * it is the state spending that kickoff (static levels chain kickoffs without a state: nothing to
 * guard there), signed with its path signature.
 */
export function guardPathOps(o: {
  readonly factoryId: Uint8Array;
  /** The path's transactions, root first (`ClientPath.txs`). */
  readonly txs: readonly TreeTx[];
  /** Their signatures, in path order. */
  readonly signatures: readonly Uint8Array[];
  /** The factory's DW step `S` (the §5.2 emergency rule). */
  readonly dwStep: number;
}): Op[] {
  const ops: Op[] = [];
  o.txs.forEach((k, i) => {
    const s = o.txs[i + 1];
    const sig = o.signatures[i + 1];
    if (k.kind !== 'kickoff' || s?.kind !== 'state' || sig === undefined) return;
    ops.push(
      ...staleStateEntry({
        factoryId: o.factoryId,
        kickoffTxid: k.txid,
        state: signedTxBytes(s, sig),
        dwStep: o.dwStep,
      }).ops,
    );
  });
  return uniqueBlobPuts(ops);
}

/** {@link guardPathOps} of a factory's current path, once its signatures are verified. */
export function guardFactoryPath(core: ClientCore, f: ClientFactory): void {
  if (f.signatures === null) return;
  core.persist(
    guardPathOps({
      factoryId: f.id,
      txs: f.path.txs,
      signatures: f.signatures.path,
      dwStep: f.proposal.dw.S,
    }),
  );
}

/** The client's slot in its leaf (0 or 1): its settlement's response index is 1 + slot. */
export function leafSlot(path: Pick<ClientPath, 'layout' | 'leaf' | 'client'>): number {
  return (path.layout.leafClients[path.leaf] as readonly number[]).indexOf(path.client);
}

/** What the tower needs of one superseded leaf state of the client's leaf. */
export interface SupersededTowerInput {
  readonly factoryId: Uint8Array;
  /** The superseded leaf state (its confirmation triggers the responses). */
  readonly stateTxid: string;
  /** Its poison and the leaf signers' signature (absent when none was signed). */
  readonly poison?: { readonly tx: PoisonTx; readonly signature: Uint8Array };
  /** The client's own settlement, signed, with its slot in the leaf (absent when none was signed). */
  readonly settlement?: { readonly slot: number; readonly tx: Uint8Array };
}

/** The entries of a superseded leaf state (none when the advance signed neither poison nor settlement). */
export function supersededStateOps(o: SupersededTowerInput): Op[] {
  if (o.poison === undefined && o.settlement === undefined) return [];
  return [
    ...supersededStateEntries({
      factoryId: o.factoryId,
      stateTxid: o.stateTxid,
      ...(o.poison === undefined ? {} : { poison: o.poison }),
      ...(o.settlement === undefined ? {} : { settlements: [o.settlement] }),
    }).ops,
  ];
}

/**
 * The row of a revealed `s_c`, after checking `sha256(s_c)` against the poison leaf.
 *
 * @throws {SecretMismatchError} (`@superscalar/watchtower`) the secret does not open that poison.
 */
export function revealedSecretOps(o: {
  readonly factoryId: Uint8Array;
  readonly counter: number;
  readonly secret: Uint8Array;
  readonly poison: PoisonTx | Uint8Array;
}): Op[] {
  return [
    ...lstockSecretEntry({ factoryId: o.factoryId, c: o.counter, secret: o.secret, poison: o.poison }).ops,
  ];
}

/** Options of {@link clientAdvanceTowerOps}. */
export interface ClientAdvanceTowerOptions {
  readonly factoryId: Uint8Array;
  /** The path after the advance, with its signatures (path order): its kickoffs are guarded anew. */
  readonly path: Pick<ClientPath, 'txs' | 'layout' | 'leaf' | 'client' | 'proposal'>;
  readonly pathSignatures: readonly Uint8Array[];
  /**
   * The superseded leaf state, as factory-tree's `supersededResponses(record)` rebuilds it, and the
   * poison's signature the client verified (`VerifiedAdvance.poisonSignature`).
   */
  readonly superseded?: SupersededResponse;
  readonly poisonSignature?: Uint8Array;
}

/**
 * Every entry one verified advance changes for the client's tower: the new path's guarded kickoffs
 * (a replaced row per kickoff whose newest state changed; a row per new kickoff after a carry) and
 * the superseded leaf state's poison and settlement. `advance.ts` puts them in the persist that
 * records the verified advance, before the channel moves to its new outpoint (brief §5.1, §11).
 */
export function clientAdvanceTowerOps(o: ClientAdvanceTowerOptions): Op[] {
  const ops = guardPathOps({
    factoryId: o.factoryId,
    txs: o.path.txs,
    signatures: o.pathSignatures,
    dwStep: o.path.proposal.dw.S,
  });
  const s = o.superseded;
  if (s !== undefined)
    ops.push(
      ...supersededStateOps({
        factoryId: o.factoryId,
        stateTxid: s.stateTx.txid,
        ...(s.poison === undefined || o.poisonSignature === undefined
          ? {}
          : { poison: { tx: s.poison, signature: o.poisonSignature } }),
        ...(s.signedSettlement === undefined
          ? {}
          : { settlement: { slot: leafSlot(o.path), tx: s.signedSettlement } }),
      }),
    );
  return ops;
}
