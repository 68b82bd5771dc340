/**
 * An exit driver takes its role's guarded states over from the role's embedded watchtower (brief §6,
 * §11): both would otherwise publish the same state, each with a CPFP child of its own, outbidding
 * each other on one anchor every block.
 *
 * With a {@link TowerPort} (the role's embedded tower, attached by the runtime), every state the
 * driver publishes is released from the tower (`Watchtower.release`), whether its kickoff has
 * confirmed or not: the tower deletes the entry and, for a trigger already active, never sends or
 * re-bumps that response again. The driver **adopts** what the tower already did — the kickoff's
 * confirmation, the state's confirmation, or its package in flight with the tower's child — rather
 * than sending a package of its own at once: under Bitcoin Core's rules the state (version 3) is
 * already in the mempool with the tower's child, and a second child spending the same anchor is a
 * plain replacement of that child, accepted only if it pays a higher rate and a higher absolute fee
 * than the child it evicts (BIP125 rules 3, 4 and 6; the package is then evaluated as the child over
 * its in-mempool parent, not as a package RBF). A driver that sent its own first package at the
 * current estimate would be refused whenever the tower had re-bumped above it, and a refused child
 * still holds a reserved fee coin; adopting makes the driver's next package (one block later) a
 * re-bump over the tower's rate (`nextFeeRate`: at least 25% and 1,000 sat/kvB more), which always
 * replaces it. Exactly one party answers each state from then on.
 *
 * The release operations go in the role's persist before the driver's record and its first
 * broadcast: a crash before that update leaves the tower in charge, a crash after it leaves the
 * driver in charge (it re-sends the adopted package with its first input after the restart).
 *
 * Without a port (a standalone tower over the role's store, or none) every such entry is replaced by
 * the owner's release marker ({@link towerHandOverOps}, `releasedEntries`), in the same persist: a
 * standalone tower re-reads the rows of its active triggers before each broadcast and re-bump and
 * stands down once the marker is durable; one that has not seen the kickoff confirm never arms it.
 * The driver cannot adopt that tower's package (it does not know it): its first package may race
 * the tower's for one block, after which only the driver answers.
 *
 * @module
 */
import type { Op } from '@superscalar/persist';
import type { Watchtower } from '@superscalar/watchtower';
import type { ExitDriver } from './driver.js';
import { towerHandOverOps } from './plan.js';

/** What a role needs of its embedded watchtower: the owner's take-over (`Watchtower.release`). */
export type TowerPort = Pick<Watchtower, 'release'>;

/**
 * The operations that hand the states `d` publishes over from the role's tower to `d` (see the module
 * doc); `d`'s record adopts what the tower already did. Put them in the persist before the driver's
 * record (its `apply`).
 */
export function towerTakeOverOps(d: ExitDriver, tower: TowerPort | undefined): Op[] {
  if (tower === undefined) return towerHandOverOps(d.record);
  const refs: { triggerTxid: string; responseIndex: number; item: string }[] = [];
  for (const it of d.record.items) {
    if (it.kind !== 'state' || it.broadcast === false || it.external === true) continue;
    if (it.status === 'confirmed' || it.status === 'lost' || it.parent === null) continue;
    const k = d.item(it.parent);
    if (k === undefined || k.kind !== 'kickoff') continue;
    refs.push({ triggerTxid: k.txid, responseIndex: 0, item: it.id });
  }
  if (refs.length === 0) return [];
  const { ops, released } = tower.release(
    refs.map((r) => ({ triggerTxid: r.triggerTxid, responseIndex: r.responseIndex })),
  );
  released.forEach((x, i) => {
    const id = (refs[i] as (typeof refs)[number]).item;
    const it = d.item(id);
    // A response for another transaction than the driver's state (an older entry): only the kickoff.
    const same = x.txid === undefined || x.txid === it?.txid;
    d.adopt(id, {
      parentAt: x.trigger,
      confirmedAt: same ? x.confirmedAt : null,
      child: same && x.status === 'broadcast' ? x.child : null,
      lastTip: x.lastTip,
    });
  });
  return [...ops];
}

/**
 * Kickoff txids whose states `d` publishes itself (taken over from the tower, which must not guard
 * them again when its entries are re-derived); empty without a driver.
 */
export function kickoffsPublishedBy(d: ExitDriver | undefined): Set<string> {
  const out = new Set<string>();
  if (d === undefined) return out;
  for (const it of d.record.items) {
    if (it.kind !== 'state' || it.broadcast === false || it.external === true || it.parent === null) continue;
    const k = d.item(it.parent);
    if (k?.kind === 'kickoff') out.add(k.txid);
  }
  return out;
}
