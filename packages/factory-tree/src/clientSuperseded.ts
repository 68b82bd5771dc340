/**
 * What a client keeps of its leaf's superseded states (protocol brief §5.3, §5.4, §11), so that if the
 * LSP (or anyone) later publishes one it can answer alone: the poison of the old L-stock (with the
 * revealed `s_c`) and its stale-channel settlement. Per superseded leaf state, O(depth): the path
 * state it was built at (its old leaf state transaction, hence the poison's and settlement's inputs,
 * is rebuilt from it), the poison's and its settlement's signatures; and the revealed secrets `s_c`
 * keyed by `c`, each checked against that state's poison hash before it is kept (the compact BOLT 3
 * store does not apply: one leaf's secrets have gaps in `c`, §5.3).
 *
 * - {@link recordClientAdvance}: the record after a verified advance (new path state and signatures,
 *   the superseded state with its poison and settlement signatures).
 * - {@link recordRevealedSecret}: the record with a revealed `s_c` (checked).
 * - {@link supersededResponses}: every superseded state rebuilt, signatures verified, and the
 *   signed poison (once its secret is known) and settlement ready to broadcast.
 *
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes } from '@superscalar/core';
import { schnorrVerify } from '@superscalar/musig2';
import { assertBytes, assertInt, assertObject } from './_assert.js';
import { supersededLeafState } from './advance.js';
import type { ClientAdvancePlan } from './clientAdvance.js';
import { buildClientPath } from './clientPath.js';
import type { ClientFactoryRecord } from './clientRecord.js';
import { InvalidArgumentError, PathVerificationError } from './errors.js';
import { type ClientPathState, checkPathState } from './pathState.js';
import { type PoisonTx, signedPoisonBytes } from './poison.js';
import type { Proposal } from './proposal.js';
import { type SettlementTx, signedSettlementBytes } from './settlement.js';
import type { LeafAllocation, TreeTx } from './transactions.js';
import type { TreeLayout } from './tree.js';
import type { VerifiedAdvance } from './verify.js';

/** One superseded state of the client's leaf, as the client keeps it. */
export interface SupersededClientState {
  /** The path state the superseded leaf state was built at; its counter `c` is `state.counter`. */
  readonly state: ClientPathState;
  /** The poison's signature (undefined: none was signed, a client output below dust). */
  readonly poisonSignature: Uint8Array | undefined;
  /** The client's own settlement's signature (undefined: none was signed). */
  readonly settlementSignature: Uint8Array | undefined;
}

/** What the client can broadcast if a superseded state of its leaf confirms. */
export interface SupersededResponse {
  /** The superseded state's counter `c`. */
  readonly counter: number;
  /** The superseded leaf state transaction (its txid is what to watch for). */
  readonly stateTx: TreeTx;
  /** The poison of its L-stock (undefined when none was signed). */
  readonly poison: PoisonTx | undefined;
  /** The poison's broadcastable bytes: once `s_c` is known (and a poison was signed), else undefined. */
  readonly signedPoison: Uint8Array | undefined;
  /** The client's settlement of its superseded channel output (undefined when none was signed). */
  readonly settlement: SettlementTx | undefined;
  /** Its broadcastable bytes (undefined when none was signed). */
  readonly signedSettlement: Uint8Array | undefined;
}

/**
 * The record after an advance the client verified: its path state and path signatures at the new
 * state (the unchanged upper transactions keep their signatures, the new ones take `verified`'s), and
 * its leaf's superseded state with the poison's and its settlement's signatures.
 *
 * @throws {InvalidArgumentError} a plan not made from this record's state, a verification of another
 *   plan, or a record without path signatures.
 */
export function recordClientAdvance(
  record: ClientFactoryRecord,
  plan: ClientAdvancePlan,
  verified: VerifiedAdvance,
): ClientFactoryRecord {
  assertObject(record, 'record');
  assertObject(plan, 'plan');
  assertObject(verified, 'verified');
  const prev = plan.previous;
  if (prev.client !== record.client || !sameState(prev.state, record.state))
    throw new InvalidArgumentError('plan', "was not made from this record's path state");
  if (record.pathSignatures.length !== prev.txs.length)
    throw new InvalidArgumentError('record.pathSignatures', 'the record holds no signed path to advance');
  const kept = plan.next.txs.length - plan.newTxs.length;
  if (
    !Array.isArray(verified.signatures) ||
    verified.signatures.length !== plan.newTxs.length ||
    verified.txs.some((t, k) => t.txid !== plan.newTxs[k]?.txid)
  )
    throw new InvalidArgumentError('verified', "is not validateClientAdvance's result for this plan");
  for (let k = 0; k < kept; k++)
    if (prev.txs[k]?.txid !== plan.next.txs[k]?.txid)
      throw new InvalidArgumentError('plan', `path transaction ${k} changed but was not re-signed`);
  const entry: SupersededClientState = Object.freeze({
    state: record.state,
    poisonSignature: copy(verified.poisonSignature),
    settlementSignature: copy(verified.settlementSignature),
  });
  return Object.freeze({
    ...record,
    state: plan.next.state,
    pathSignatures: Object.freeze([
      ...record.pathSignatures.slice(0, kept),
      ...verified.signatures.map((s) => Uint8Array.from(s)),
    ]),
    superseded: Object.freeze([...record.superseded, entry]),
  });
}

/**
 * The record with the revealed secret `s_c` of a superseded state of its leaf, after checking
 * `sha256(s_c)` against that state's poison hash (§5.3).
 *
 * @throws {PathVerificationError} `secret-invalid`: no superseded state has counter `c`, or the hash
 *   does not match.
 */
export function recordRevealedSecret(
  record: ClientFactoryRecord,
  counter: number,
  secret: Uint8Array,
): ClientFactoryRecord {
  assertObject(record, 'record');
  assertInt(counter, 'counter', 0, 2 ** 48 - 1);
  assertBytes(secret, 'secret', 32);
  const entry = record.superseded.find((e) => e.state.counter === counter);
  if (entry === undefined || !equalBytes(sha256(secret), entry.state.poisonHash))
    throw new PathVerificationError(
      -2,
      'secret-invalid',
      entry === undefined
        ? `no superseded state of this client's leaf has counter ${counter}`
        : `sha256(s_${counter}) is not that state's poison hash`,
      { label: `secret c=${counter}` },
    );
  const secrets = new Map(record.secrets);
  secrets.set(counter, Uint8Array.from(secret));
  return Object.freeze({ ...record, secrets: sortedMap(secrets) });
}

/**
 * Every superseded state of the record rebuilt from its path state (the old leaf state transaction,
 * its poison and the client's settlement, as the advance built them), each stored signature verified,
 * and what can be broadcast: the settlement, and the poison once its `s_c` is known.
 *
 * @throws {PathVerificationError} `signature-invalid` naming the poison or settlement.
 */
export function supersededResponses(record: ClientFactoryRecord): readonly SupersededResponse[] {
  assertObject(record, 'record');
  const p = record.proposal;
  return Object.freeze(
    record.superseded.map((e, i) => {
      const path = buildClientPath(p, record.client, { state: e.state });
      const successor = (record.superseded[i + 1]?.state ?? record.state).allocation;
      const s = supersededLeafState(p, path.layout, {
        leaf: path.leaf,
        node: path.txs[path.txs.length - 1]?.node as number,
        counter: e.state.counter,
        stateTx: path.txs[path.txs.length - 1] as TreeTx,
        oldAllocation: e.state.allocation,
        newAllocation: successor,
      });
      const label = (what: string) => `${what} c=${e.state.counter}`;
      let signedPoison: Uint8Array | undefined;
      if (s.poison !== undefined && e.poisonSignature !== undefined) {
        if (!schnorrVerify(e.poisonSignature, s.poison.sighash, s.poison.signingKey))
          throw new PathVerificationError(
            -2,
            'signature-invalid',
            'the stored poison signature does not verify',
            {
              label: label('poison'),
            },
          );
        const secret = record.secrets.get(e.state.counter);
        if (secret !== undefined) signedPoison = signedPoisonBytes(s.poison, e.poisonSignature, secret);
      }
      const own = s.settlements.find((x) => x.client === record.client)?.settlement;
      let signedSettlement: Uint8Array | undefined;
      if (own !== undefined && e.settlementSignature !== undefined) {
        if (!schnorrVerify(e.settlementSignature, own.sighash, own.channel.outputKey))
          throw new PathVerificationError(
            -2,
            'signature-invalid',
            'the stored settlement signature does not verify',
            { label: label(`settlement client=${record.client}`) },
          );
        signedSettlement = signedSettlementBytes(own, e.settlementSignature);
      }
      return Object.freeze({
        counter: e.state.counter,
        stateTx: s.stateTx,
        poison: s.poison,
        signedPoison,
        settlement: own,
        signedSettlement,
      });
    }),
  );
}

/**
 * @internal Checks a record's superseded states and secrets against its proposal: each path state
 * valid for the client's leaf, counters strictly increasing and below the current one, signatures of
 * 64 bytes, and each secret a superseded state's (`sha256(s_c)` = its poison hash), by increasing `c`.
 */
export function checkSuperseded(
  p: Proposal,
  layout: TreeLayout,
  leaf: number,
  r: Pick<ClientFactoryRecord, 'state' | 'superseded' | 'secrets'>,
): void {
  if (!Array.isArray(r.superseded)) throw new InvalidArgumentError('record.superseded', 'expected an array');
  if (!(r.secrets instanceof Map)) throw new InvalidArgumentError('record.secrets', 'expected a Map c → s_c');
  let last = -1;
  r.superseded.forEach((e, i) => {
    const at = `record.superseded[${i}]`;
    if (typeof e !== 'object' || e === null) throw new InvalidArgumentError(at, 'expected an object');
    checkPathState(p, layout, leaf, e.state, `${at}.state`);
    if (e.state.counter <= last || e.state.counter >= r.state.counter)
      throw new InvalidArgumentError(
        `${at}.state.counter`,
        'expected counters strictly increasing and below the current one',
      );
    last = e.state.counter;
    for (const k of ['poisonSignature', 'settlementSignature'] as const)
      if (e[k] !== undefined) assertBytes(e[k], `${at}.${k}`, 64);
  });
  let prev = -1;
  for (const [c, s] of r.secrets) {
    const at = `record.secrets[${String(c)}]`;
    assertInt(c, at, prev + 1, 2 ** 48 - 1);
    prev = c;
    assertBytes(s, at, 32);
    const entry = r.superseded.find((e) => e.state.counter === c);
    if (entry === undefined || !equalBytes(sha256(s), entry.state.poisonHash))
      throw new InvalidArgumentError(at, "is not the secret of a superseded state's poison hash");
  }
}

function sameState(a: ClientPathState, b: ClientPathState): boolean {
  const alloc = (x: LeafAllocation) => `${x.capacities.join(',')}/${x.lStock}`;
  return (
    a.counter === b.counter &&
    a.states.join(',') === b.states.join(',') &&
    a.instances.join(',') === b.instances.join(',') &&
    alloc(a.allocation) === alloc(b.allocation) &&
    equalBytes(a.poisonHash, b.poisonHash)
  );
}

function copy(s: Uint8Array | undefined): Uint8Array | undefined {
  return s === undefined ? undefined : Uint8Array.from(s);
}

function sortedMap(m: ReadonlyMap<number, Uint8Array>): ReadonlyMap<number, Uint8Array> {
  return new Map([...m.entries()].sort((a, b) => a[0] - b[0]));
}
