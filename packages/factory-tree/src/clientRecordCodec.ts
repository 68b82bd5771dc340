/**
 * A client's factory record (`clientRecord.ts`) as versioned bytes and back.
 *
 * Format (version 1; integers big-endian), the envelope of the whole-factory record (`serialize.ts`)
 * with its own magic:
 *
 * | field | size |
 * |---|---|
 * | magic `SSCF` | 4 |
 * | version = 1 | 1 |
 * | length of the record stream | 4 |
 * | records `BigSize type ‖ BigSize length ‖ value`, types strictly increasing | length |
 *
 * | type | record | value |
 * |---|---|---|
 * | 0 | proposal (required) | the whole-factory record's proposal layout |
 * | 2 | path state (required) | client u32 ‖ n u8 ‖ n × (state u8 ‖ instance u32) ‖ counter u64 ‖ m u8 ‖ m × capacity u64 ‖ L-stock u64 ‖ poison hash 32 |
 * | 4 | path signatures | count u8 ‖ count × 64 |
 * | 6 | distribution signatures | count u8 ‖ count × (position u16 ‖ 64), positions strictly increasing |
| 8 | superseded states | count u16 ‖ count × (path state as in 2, without the client ‖ flags u8 (1 poison, 2 settlement) ‖ the flagged 64-byte signatures), counters strictly increasing, below the current |
| 10 | revealed secrets | count u16 ‖ count × (counter u64 ‖ `s_c` 32), counters strictly increasing, each a superseded state's with `sha256(s_c)` its poison hash |
 *
 * Beyond the proposal record a record is `9` (envelope) `+ 56 + 5·n + 8·m` (path state) `+ 3..5 +
 * 64·p` (path signatures) `+ 3 + 66·d` (distribution signatures) bytes, for n state nodes and p
 * transactions on the path, m ∈ {1, 2} channels on the leaf and d ∈ {1, 2} distribution transactions
 * (the ranges are BigSize lengths): it grows with the depth only — plus, per superseded state of its
 * leaf, `51 + 5·n + 8·m` and up to 128 bytes of signatures, and 40 per revealed secret (records 8 and
 * 10, even: a reader that does not know them must refuse the record rather than drop what the client
 * needs against a published old state). An unknown odd record is skipped, an
 * unknown even one rejected (BOLT 1's rule). Decoding is strict and total — a {@link DecodeError}
 * with the offset, never another exception — and checks the proposal (`checkProposal`), the client
 * index, the path state against the proposal's layout and the signature count against the path's
 * length. Signatures are verified on replay.
 *
 * @module
 */
import {
  decodeEnvelope,
  decodeProposal,
  encodeEnvelope,
  encodeProposal,
  type In,
  invalid,
  Out,
} from './_codec.js';
import type { DistributionSignatureEntry } from './clientDistribution.js';
import { type ClientFactoryRecord, checkRecord } from './clientRecord.js';
import type { SupersededClientState } from './clientSuperseded.js';
import { DecodeError, FactoryTreeError, InvalidArgumentError } from './errors.js';
import type { ClientPathState } from './pathState.js';
import type { Proposal } from './proposal.js';

/** Current format version of {@link encodeClientFactory}. */
export const CLIENT_RECORD_VERSION = 1;
const MAGIC = [0x53, 0x53, 0x43, 0x46]; // "SSCF"
const T_PROPOSAL = 0;
const T_PATH_STATE = 2;
const T_PATH_SIGNATURES = 4;
const T_DISTRIBUTION_SIGNATURES = 6;
const T_SUPERSEDED = 8;
const T_SECRETS = 10;

function encodePathState(client: number, s: ClientPathState): Uint8Array {
  const w = new Out();
  w.u32(client);
  writeState(w, s);
  return w.done();
}

function writeState(w: Out, s: ClientPathState): void {
  w.u8(s.states.length);
  s.states.forEach((x, i) => {
    w.u8(x);
    w.u32(s.instances[i] as number);
  });
  w.u64(BigInt(s.counter));
  w.u8(s.allocation.capacities.length);
  for (const c of s.allocation.capacities) w.u64(c);
  w.u64(s.allocation.lStock);
  w.bytes(s.poisonHash);
}

const HAS_POISON = 1;
const HAS_SETTLEMENT = 2;

function encodeSuperseded(entries: readonly SupersededClientState[]): Uint8Array {
  const w = new Out();
  w.u16(entries.length);
  for (const e of entries) {
    writeState(w, e.state);
    w.u8((e.poisonSignature ? HAS_POISON : 0) | (e.settlementSignature ? HAS_SETTLEMENT : 0));
    if (e.poisonSignature) w.bytes(e.poisonSignature);
    if (e.settlementSignature) w.bytes(e.settlementSignature);
  }
  return w.done();
}

function encodeSecrets(secrets: ReadonlyMap<number, Uint8Array>): Uint8Array {
  const w = new Out();
  w.u16(secrets.size);
  for (const [c, s] of secrets) {
    w.u64(BigInt(c));
    w.bytes(s);
  }
  return w.done();
}

/**
 * Encodes a client's record (see the module table). Checks it against its proposal first.
 *
 * @throws {InvalidProposalError}, {@link InvalidArgumentError}, `InvalidAllocationError`: malformed parts.
 */
export function encodeClientFactory(r: ClientFactoryRecord): Uint8Array {
  checkRecord(r);
  const records: [number, Uint8Array][] = [
    [T_PROPOSAL, encodeProposal(r.proposal)],
    [T_PATH_STATE, encodePathState(r.client, r.state)],
  ];
  if (r.pathSignatures.length > 0) {
    const w = new Out();
    w.u8(r.pathSignatures.length);
    for (const s of r.pathSignatures) w.bytes(s);
    records.push([T_PATH_SIGNATURES, w.done()]);
  }
  if (r.distributionSignatures.length > 0) {
    if (r.distributionSignatures.length > 0xff)
      throw new InvalidArgumentError('record.distributionSignatures', 'at most 255 entries');
    const w = new Out();
    w.u8(r.distributionSignatures.length);
    for (const e of r.distributionSignatures) {
      w.u16(e.index);
      w.bytes(e.signature);
    }
    records.push([T_DISTRIBUTION_SIGNATURES, w.done()]);
  }
  if (r.superseded.length > 0xffff)
    throw new InvalidArgumentError('record.superseded', 'at most 65,535 superseded states');
  if (r.superseded.length > 0) records.push([T_SUPERSEDED, encodeSuperseded(r.superseded)]);
  if (r.secrets.size > 0) records.push([T_SECRETS, encodeSecrets(r.secrets)]);
  return encodeEnvelope(MAGIC, CLIENT_RECORD_VERSION, records);
}

interface DecodedPathState {
  readonly at: number;
  readonly client: number;
  readonly state: ClientPathState;
}

function decodePathState(r: In): DecodedPathState {
  const at = r.o;
  const client = r.u32();
  return { at, client, state: readState(r) };
}

function readState(r: In): ClientPathState {
  const n = r.u8();
  const states: number[] = [];
  const instances: number[] = [];
  for (let i = 0; i < n; i++) {
    states.push(r.u8());
    instances.push(r.u32());
  }
  const cAt = r.o;
  const counter = r.u64();
  if (counter >= 2n ** 48n) invalid(cAt, 'counter not below 2^48');
  const mAt = r.o;
  const m = r.u8();
  if (m < 1 || m > 2) invalid(mAt, `${m} capacities`);
  const capacities: bigint[] = [];
  for (let i = 0; i < m; i++) capacities.push(r.u64());
  const lStock = r.u64();
  const poisonHash = r.bytes(32);
  return Object.freeze({
    states: Object.freeze(states),
    instances: Object.freeze(instances),
    counter: Number(counter),
    allocation: Object.freeze({ capacities: Object.freeze(capacities), lStock }),
    poisonHash,
  });
}

function decodeSuperseded(r: In): SupersededClientState[] {
  const at = r.o;
  const n = r.u16();
  if (n === 0) invalid(at, 'an empty superseded-states record (omit it)');
  const out: SupersededClientState[] = [];
  for (let i = 0; i < n; i++) {
    const state = readState(r);
    const fAt = r.o;
    const flags = r.u8();
    if ((flags & ~(HAS_POISON | HAS_SETTLEMENT)) !== 0) invalid(fAt, `unknown signature flags ${flags}`);
    const poisonSignature = flags & HAS_POISON ? r.bytes(64) : undefined;
    const settlementSignature = flags & HAS_SETTLEMENT ? r.bytes(64) : undefined;
    out.push(Object.freeze({ state, poisonSignature, settlementSignature }));
  }
  return out;
}

function decodeSecrets(r: In): Map<number, Uint8Array> {
  const at = r.o;
  const n = r.u16();
  if (n === 0) invalid(at, 'an empty secrets record (omit it)');
  const out = new Map<number, Uint8Array>();
  let last = -1n;
  for (let i = 0; i < n; i++) {
    const cAt = r.o;
    const c = r.u64();
    if (c >= 2n ** 48n || c <= last) invalid(cAt, 'counters not strictly increasing below 2^48');
    last = c;
    out.set(Number(c), r.bytes(32));
  }
  return out;
}

function decodeSignatureList(r: In): Uint8Array[] {
  const at = r.o;
  const n = r.u8();
  if (n === 0) invalid(at, 'an empty signature record (omit it)');
  return Array.from({ length: n }, () => r.bytes(64));
}

function decodeDistributionSignatures(r: In): DistributionSignatureEntry[] {
  const at = r.o;
  const n = r.u8();
  if (n === 0) invalid(at, 'an empty signature record (omit it)');
  let last = -1;
  return Array.from({ length: n }, () => {
    const iAt = r.o;
    const index = r.u16();
    if (index <= last) invalid(iAt, 'distribution positions not strictly increasing');
    last = index;
    return Object.freeze({ index, signature: r.bytes(64) });
  });
}

/**
 * Decodes a client's record and checks it against its proposal (layout, client index, path state,
 * signature counts). Signatures are verified by `replayClientFactory`, not here.
 *
 * @throws {DecodeError} and nothing else.
 */
export function decodeClientFactory(bytes: Uint8Array): ClientFactoryRecord {
  let proposal: Proposal | undefined;
  let path: DecodedPathState | undefined;
  let pathSignatures: Uint8Array[] = [];
  let distributionSignatures: DistributionSignatureEntry[] = [];
  let superseded: SupersededClientState[] = [];
  let secrets = new Map<number, Uint8Array>();
  const end = decodeEnvelope(
    bytes,
    { magic: MAGIC, version: CLIENT_RECORD_VERSION, what: "SuperScalar client's factory record" },
    {
      [T_PROPOSAL]: (r) => {
        proposal = decodeProposal(r);
      },
      [T_PATH_STATE]: (r) => {
        path = decodePathState(r);
      },
      [T_PATH_SIGNATURES]: (r) => {
        pathSignatures = decodeSignatureList(r);
      },
      [T_DISTRIBUTION_SIGNATURES]: (r) => {
        distributionSignatures = decodeDistributionSignatures(r);
      },
      [T_SUPERSEDED]: (r) => {
        superseded = decodeSuperseded(r);
      },
      [T_SECRETS]: (r) => {
        secrets = decodeSecrets(r);
      },
    },
  );
  if (proposal === undefined) invalid(end, 'no proposal record');
  if (path === undefined) invalid(end, 'no path state record');
  const record: ClientFactoryRecord = Object.freeze({
    proposal,
    client: (path as DecodedPathState).client,
    state: (path as DecodedPathState).state,
    pathSignatures: Object.freeze(pathSignatures),
    distributionSignatures: Object.freeze(distributionSignatures),
    superseded: Object.freeze(superseded),
    secrets,
  });
  try {
    checkRecord(record, true); // decodeProposal checked the proposal
  } catch (e) {
    const message = FactoryTreeError.isInstance(e) ? (e as Error).message : 'rejected';
    throw new DecodeError('invalid', (path as DecodedPathState).at, `path state: ${message}`, { cause: e });
  }
  return record;
}
/**
 * @internal A record's encoded size split at the proposal: `proposal` is the proposal record
 * (type, length and value), `path` everything else (envelope, path state, signatures) — the part
 * that grows with the depth only.
 */
export function clientRecordSizes(r: ClientFactoryRecord): { total: number; proposal: number; path: number } {
  const total = encodeClientFactory(r).length;
  const value = encodeProposal(r.proposal).length;
  const proposal = 1 + (value < 0xfd ? 1 : value <= 0xffff ? 3 : 5) + value;
  return { total, proposal, path: total - proposal };
}
