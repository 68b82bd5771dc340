/**
 * What the LSP hands its watchtower (brief §11): when a client's `revoke_and_ack` is accepted, the
 * channel persists its state with the revoked commitment's pre-signed penalties (every outpoint copy,
 * brief §5.4) and asks for a watch; {@link onChannelWatch} turns the request into
 * `@superscalar/watchtower` `penaltyEntries` rows inside that same persist action (the `Out` merges
 * consecutive persists into one store update), so they are durable before the LSP sends its own
 * `revoke_and_ack`, forwards or fulfils anything that depends on the revocation.
 *
 * The tower runs beside the machine (`LspNode`'s embedded tower, `EmbeddedTower` of
 * `@superscalar/client/runtime`) or standalone over the LSP's store (PostgreSQL across machines);
 * the runtime prunes a factory's entries when it ends.
 *
 * @module
 */
import type { Op } from '@superscalar/persist';
import type { RevokedCopy, WatchRequest } from '@superscalar/poon-dryja';
import { penaltyEntries } from '@superscalar/watchtower';
import type { ChannelSlot, LspCore, LspFactory } from './_core.js';

/** The entries of a revoked client commitment (copies with at least one penalty), or none. */
export function revokedEntryOps(factoryId: Uint8Array, copies: readonly RevokedCopy[]): Op[] {
  const useful = copies.filter((c) => c.penalties.length > 0);
  if (useful.length === 0) return [];
  return [...penaltyEntries({ factoryId, copies: useful }).ops];
}

/** A channel's `watch` action: a revoked client commitment becomes tower entries in the current persist. */
export function onChannelWatch(core: LspCore, f: LspFactory, slot: ChannelSlot, watch: WatchRequest): void {
  if (watch.type !== 'revoked') {
    core.log('debug', 'channel watch request', { channelId: slot.idHex, watch: watch.type });
    return;
  }
  const ops = revokedEntryOps(f.id, watch.copies);
  core.persist(ops);
  core.log('debug', 'tower entries for a revoked commitment', {
    channelId: slot.idHex,
    commitmentNumber: watch.commitmentNumber,
    entries: ops.length,
  });
}
