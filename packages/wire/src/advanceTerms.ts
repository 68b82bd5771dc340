/**
 * What one client takes from `advance_propose` (brief §5.1, §5.4) before it signs anything: the
 * entries of its own leaf, in the form its checks take them — `planClientAdvance`'s request
 * (`@superscalar/factory-tree`: the triggering leaf, its leaf's new counter, poison hash and
 * allocation, checked against its path) and its channel's new capacity and liquidity fee (the
 * `rebind_prepare` of `@superscalar/poon-dryja`'s `Channel`, which refuses a fee above its balance and
 * the new capacity's reserve, dust and affordability failures). This module only picks and matches
 * the entries; those checks are the client's next step.
 *
 * @module
 */
import type { ClientAdvanceRequest } from '@superscalar/factory-tree';
import { wireError } from './errors.js';
import type { AdvancePropose, ChannelAllocation } from './messages/advance.js';

/** A client's part of an `advance_propose`. */
export interface ClientAdvanceTerms {
  /** `planClientAdvance`'s request: the triggering leaf, its leaf's counter, poison hash and allocation. */
  readonly request: ClientAdvanceRequest;
  /** Its channel's capacity after the advance, sats (the new channel outpoint's amount). */
  readonly capacity: bigint;
  /** The liquidity fee it pays, msat (moves from its balance to the LSP's on the rebound commitments). */
  readonly liquidityFeeMsat: bigint;
}

/** Where the client sits: its index in `clients[]`, its leaf and the leaf's clients (placement order). */
export interface ClientPlace {
  readonly client: number;
  readonly leaf: number;
  /** `layout.leafClients[leaf]` of its path (e.g. `ClientPath.layout.leafClients[ClientPath.leaf]`). */
  readonly leafClients: readonly number[];
}

/**
 * The client's terms in `m`, or undefined when the advance does not re-sign its leaf (nothing for it
 * to sign). Its leaf's allocation must name exactly the leaf's channels, in placement order.
 *
 * @throws {DecodeError} `WIRE_INVALID_VALUE` naming the field when its leaf's allocation does not name
 *   exactly its leaf's channels.
 */
export function clientAdvanceTerms(m: AdvancePropose, place: ClientPlace): ClientAdvanceTerms | undefined {
  if (typeof m !== 'object' || m === null || !Array.isArray(m.created) || !Array.isArray(m.allocations))
    throw wireError('WIRE_INVALID_ARGUMENT', 'expected a decoded advance_propose', { field: 'm' });
  if (
    typeof place !== 'object' ||
    place === null ||
    !Number.isInteger(place.client) ||
    !Number.isInteger(place.leaf) ||
    !Array.isArray(place.leafClients) ||
    !place.leafClients.includes(place.client)
  )
    throw wireError(
      'WIRE_INVALID_ARGUMENT',
      'expected { client, leaf, leafClients } with the client in its leaf',
      {
        field: 'place',
      },
    );
  const createdList: AdvancePropose['created'] = m.created;
  const allocations: AdvancePropose['allocations'] = m.allocations;
  const i = createdList.findIndex((c) => c.leaf === place.leaf);
  if (i < 0) return undefined;
  const created = createdList[i] as AdvancePropose['created'][number];
  const entry = allocations[i];
  const field = `advance_propose.allocations[${i}]`;
  if (entry === undefined || entry.leaf !== place.leaf)
    throw wireError('WIRE_INVALID_VALUE', `no allocation for leaf ${place.leaf}`, { field });
  const expected = place.leafClients.map((c: number) => c + 1);
  const named = entry.channels.map((c) => c.client);
  if (named.length !== expected.length || named.some((c, k) => c !== expected[k]))
    throw wireError(
      'WIRE_INVALID_VALUE',
      `leaf ${place.leaf} holds the channels of participants ${expected.join(', ')}, not ${named.join(', ')}`,
      { field: `${field}.channels` },
    );
  const mine = entry.channels.find((c) => c.client === place.client + 1) as ChannelAllocation;
  return Object.freeze({
    request: Object.freeze({
      leaf: m.leaf,
      counter: created.counter,
      poisonHash: Uint8Array.from(created.poisonHash),
      allocation: Object.freeze({
        capacities: Object.freeze(entry.channels.map((c) => c.capacity)),
        lStock: entry.lStock,
      }),
    }),
    capacity: mine.capacity,
    liquidityFeeMsat: mine.liquidityFeeMsat,
  });
}
