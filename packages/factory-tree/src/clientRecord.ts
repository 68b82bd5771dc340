/**
 * A client's stored factory record (issue 20: a client's stored state is O(depth) apart from the
 * proposal and the distribution, which are O(N) bytes by design, brief §8): everything a client needs
 * to rebuild, check and broadcast its own path after a restart without building anything else —
 *
 * - the proposal (held here, not referenced: the client must keep it anyway to rebuild its path and
 *   the distribution, and one self-contained blob cannot be paired with the wrong proposal);
 * - its index in `clients[]`;
 * - its O(depth) {@link ClientPathState}: the DW state and kickoff instance of each state node on its
 *   path, its leaf's counter `c`, allocation and poison hash;
 * - once signed, the 64-byte signature of each transaction of its path (root first) and of each
 *   distribution transaction it signed (by position in `distribution.txs`);
 * - its leaf's superseded states (each an O(depth) path state with its poison's and settlement's
 *   signatures) and the revealed `s_c` keyed by `c` (`clientSuperseded.ts`): what it needs if a
 *   superseded state is published.
 *
 * {@link replayClientFactory} rebuilds the path from it alone (`buildClientPath`: no other transaction,
 * no other leaf's state), runs the path check and verifies every signature, and returns the signed
 * transactions ready to broadcast.
 *
 * Bytes: `encodeClientFactory` / `decodeClientFactory` (`clientRecordCodec.ts`).
 *
 * @module
 */
import { schnorrVerify } from '@superscalar/musig2';
import { assertObject } from './_assert.js';
import {
  type ClientDistribution,
  type ClientDistributionOptions,
  checkSignedDistribution,
  clientDistribution,
  type DistributionSignatureEntry,
} from './clientDistribution.js';
import { buildClientPath, type ClientPath, checkPathSoundness } from './clientPath.js';
import {
  checkSuperseded,
  type SupersededClientState,
  type SupersededResponse,
  supersededResponses,
} from './clientSuperseded.js';
import { InvalidArgumentError, PathVerificationError } from './errors.js';
import { type ClientPathState, checkPathState, leafOf } from './pathState.js';
import { checkProposal, type Proposal } from './proposal.js';
import { signedTxBytes } from './transactions.js';
import { layoutTree } from './tree.js';

const MAX_DISTRIBUTION_POSITION = 0xffff;

/** What a client stores about one factory: O(depth) beyond the proposal (see the module comment). */
export interface ClientFactoryRecord {
  /** The proposal (O(N) bytes; the client keeps it to rebuild its path and the distribution). */
  readonly proposal: Proposal;
  /** The client's index in `clients[]`. */
  readonly client: number;
  /** The O(depth) state its path is at (initial after the ceremony, then each advance's). */
  readonly state: ClientPathState;
  /**
   * The signature of each transaction of its path at `state`, root first (empty until they are
   * received and checked, e.g. `validatePath`'s `signatures`).
   */
  readonly pathSignatures: readonly Uint8Array[];
  /**
   * The signatures of the distribution transactions it signed, by position in `distribution.txs`
   * (empty until received and checked with `checkSignedDistribution`).
   */
  readonly distributionSignatures: readonly DistributionSignatureEntry[];
  /**
   * Its leaf's superseded states, by increasing counter (`recordClientAdvance` adds one per advance
   * that re-signs its path): what it answers with if one is published (§5.3, §5.4).
   */
  readonly superseded: readonly SupersededClientState[];
  /** The revealed L-stock secrets `s_c` of those states, keyed by `c` (`recordRevealedSecret`). */
  readonly secrets: ReadonlyMap<number, Uint8Array>;
}

/** The signatures {@link clientFactoryRecord} stores with a path. */
export interface ClientRecordSignatures {
  /** One per path transaction, root first (`validatePath(...).signatures`). */
  readonly path?: readonly Uint8Array[];
  /** The distribution's, by position (as given to `checkSignedDistribution`). */
  readonly distribution?: readonly DistributionSignatureEntry[];
}

/**
 * The record of a client's path (`buildClientPath`'s result, or `validatePath(...).clientPath`) and
 * the signatures it holds. Copies every byte array; checks only the shapes (replay verifies).
 *
 * @throws {InvalidArgumentError} a signature that is not 64 bytes, a path signature count that is
 *   not the path's length, distribution positions not strictly increasing.
 */
export function clientFactoryRecord(
  path: ClientPath,
  signatures: ClientRecordSignatures = {},
): ClientFactoryRecord {
  assertObject(path, 'path');
  if (typeof signatures !== 'object' || signatures === null)
    throw new InvalidArgumentError('signatures', 'expected { path?, distribution? }');
  if (!Array.isArray(path.txs))
    throw new InvalidArgumentError('path', 'expected a ClientPath (buildClientPath)');
  const pathSigs = signatures.path ?? [];
  const distSigs = signatures.distribution ?? [];
  if (!Array.isArray(pathSigs) || !Array.isArray(distSigs))
    throw new InvalidArgumentError('signatures', 'expected arrays of path and distribution signatures');
  const record: ClientFactoryRecord = Object.freeze({
    proposal: path.proposal,
    client: path.client,
    state: path.state,
    pathSignatures: Object.freeze(pathSigs.map((s) => copySig(s, 'signatures.path'))),
    distributionSignatures: Object.freeze(
      distSigs.map((e) =>
        Object.freeze({ index: e?.index, signature: copySig(e?.signature, 'signatures.distribution') }),
      ),
    ),
    superseded: Object.freeze([]),
    secrets: new Map(),
  });
  checkSignatureShapes(record, path.txs.length);
  return record;
}

function copySig(s: unknown, argument: string): Uint8Array {
  if (!(s instanceof Uint8Array) || s.length !== 64)
    throw new InvalidArgumentError(argument, 'expected 64-byte BIP340 signatures');
  return Uint8Array.from(s);
}

function checkSignatureShapes(r: ClientFactoryRecord, pathTxs: number): void {
  if (!Array.isArray(r.pathSignatures) || !Array.isArray(r.distributionSignatures))
    throw new InvalidArgumentError('record', 'pathSignatures and distributionSignatures must be arrays');
  if (r.pathSignatures.length !== 0 && r.pathSignatures.length !== pathTxs)
    throw new InvalidArgumentError(
      'record.pathSignatures',
      `expected none or ${pathTxs} (one per path transaction), got ${r.pathSignatures.length}`,
    );
  r.pathSignatures.forEach((s) => {
    copySig(s, 'record.pathSignatures');
  });
  let last = -1;
  r.distributionSignatures.forEach((e, i) => {
    const at = `record.distributionSignatures[${i}]`;
    if (typeof e !== 'object' || e === null)
      throw new InvalidArgumentError(at, 'expected { index, signature }');
    if (!Number.isInteger(e.index) || e.index <= last || e.index > MAX_DISTRIBUTION_POSITION)
      throw new InvalidArgumentError(`${at}.index`, 'expected positions strictly increasing in 0..65535');
    last = e.index;
    copySig(e.signature, `${at}.signature`);
  });
}

/** @internal Checks a record against its proposal's layout; returns the number of transactions on its path. */
export function checkRecord(r: ClientFactoryRecord, proposalChecked = false): number {
  assertObject(r, 'record');
  if (!proposalChecked) checkProposal(r.proposal);
  const layout = layoutTree(r.proposal);
  if (!Number.isInteger(r.client) || r.client < 0 || r.client >= r.proposal.clients.length)
    throw new InvalidArgumentError(
      'record.client',
      `expected a client index in 0..${r.proposal.clients.length - 1}`,
    );
  const leaf = leafOf(layout, r.client);
  checkPathState(r.proposal, layout, leaf, r.state, 'record.state');
  if (r.state.states.length > 0xff)
    throw new InvalidArgumentError('record.state.states', 'at most 255 state nodes');
  const pathTxs = (layout.leafPaths[leaf] as readonly number[]).length;
  checkSignatureShapes(r, pathTxs);
  checkSuperseded(r.proposal, layout, leaf, r);
  return pathTxs;
}
/** Options of {@link replayClientFactory}. */
export interface ClientReplayOptions {
  /** Options of the distribution's rebuild (`clientDistribution`), when the record holds its signatures. */
  readonly distribution?: ClientDistributionOptions;
}

/** What {@link replayClientFactory} rebuilds from a record. */
export interface ReplayedClientFactory {
  /** The client's path at the record's state (its transactions and signing jobs only). */
  readonly path: ClientPath;
  /** Each path transaction with its verified signature, root first; undefined without signatures. */
  readonly signedPath: readonly Uint8Array[] | undefined;
  /** The distribution as the client sees it; undefined without distribution signatures. */
  readonly distribution: ClientDistribution | undefined;
  /** Its signed distribution transactions (`distribution.txs` order); undefined without signatures. */
  readonly signedDistribution: readonly Uint8Array[] | undefined;
  /** Its leaf's superseded states rebuilt, with their signed settlements and poisons (`supersededResponses`). */
  readonly superseded: readonly SupersededResponse[];
}

/**
 * A client's replay after a restart: its path rebuilt from the record alone (`buildClientPath` at
 * the record's state: no other transaction, no other leaf's state), the path check of
 * `checkUnsignedPath` (spends, version, locks, fees and amounts, `T_k`, its channel output against
 * its allocation), and every signature verified against its transaction's sighash and spent key —
 * so a record whose state or signatures were tampered with is refused. With distribution
 * signatures it rebuilds the distribution (O(N) bytes by design) and verifies them too; and it
 * rebuilds every superseded state of its leaf with its poison and settlement (signatures verified).
 *
 * @throws {PathVerificationError} `missing-tx` (a signature count that is not the path's),
 *   `signature-invalid` (naming the transaction), `tx-mismatch` (a distribution position the client
 *   does not sign), and the path check's faults.
 * @throws {InvalidArgumentError}, `InvalidAllocationError`, `InvalidProposalError`: a malformed record.
 */
export function replayClientFactory(
  record: ClientFactoryRecord,
  options: ClientReplayOptions = {},
): ReplayedClientFactory {
  assertObject(record, 'record');
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('options', 'expected { distribution? }');
  const path = buildClientPath(record.proposal, record.client, { state: record.state });
  checkPathSoundness(path, undefined);
  if (!Array.isArray(record.pathSignatures) || !Array.isArray(record.distributionSignatures))
    throw new InvalidArgumentError('record', 'pathSignatures and distributionSignatures must be arrays');
  let signedPath: Uint8Array[] | undefined;
  if (record.pathSignatures.length > 0) {
    if (record.pathSignatures.length !== path.txs.length)
      throw new PathVerificationError(
        -2,
        'missing-tx',
        `${record.pathSignatures.length} path signatures, the path has ${path.txs.length} transactions`,
        { label: 'path' },
      );
    signedPath = path.txs.map((t, k) => {
      const sig = record.pathSignatures[k] as Uint8Array;
      const label = `tx ${t.index} (node ${t.node} ${t.kind})`;
      if (!(sig instanceof Uint8Array) || sig.length !== 64)
        throw new PathVerificationError(t.index, 'missing-tx', 'no 64-byte signature', { label });
      if (!schnorrVerify(sig, t.sighash, t.spentTaproot.outputKey))
        throw new PathVerificationError(
          t.index,
          'signature-invalid',
          "the stored signature does not verify against the rebuilt transaction and its spent output's key",
          { label },
        );
      return signedTxBytes(t, sig);
    });
  }
  let distribution: ClientDistribution | undefined;
  let signedDistribution: Uint8Array[] | undefined;
  if (record.distributionSignatures.length > 0) {
    distribution = clientDistribution(path, options.distribution ?? {});
    const mine = distribution.positions;
    for (const e of record.distributionSignatures)
      if (!mine.includes(e?.index))
        throw new PathVerificationError(
          -2,
          'tx-mismatch',
          `distribution position ${String(e?.index)} is not one the client signs (${mine.join(', ')})`,
          { label: 'distribution' },
        );
    signedDistribution = checkSignedDistribution(distribution, record.distributionSignatures);
  }
  return Object.freeze({
    path,
    signedPath: signedPath === undefined ? undefined : Object.freeze(signedPath),
    distribution,
    signedDistribution: signedDistribution === undefined ? undefined : Object.freeze(signedDistribution),
    superseded: supersededResponses(record),
  });
}
