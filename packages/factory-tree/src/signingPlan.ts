/**
 * The signing plan and the tree-signing ceremony of brief §8 (rounds 1–3 and the aggregation of
 * step 4), split by role so each party runs only its own share:
 *
 * 1. {@link clientRound1}: a client draws one fresh nonce per transaction on its own root-to-leaf
 *    path (never one per node, never one for two messages) and sends the public nonces.
 * 2. {@link lspSign}: the LSP signs last and statelessly with BIP327 `DeterministicSign` over the
 *    aggregate of the clients' nonces for each transaction, and answers each client with the
 *    aggregate nonces of its path only.
 * 3. {@link clientRound2}: the client signs its path transactions (its own rebuilt sighashes).
 * 4. {@link lspAggregate}: the LSP aggregates every transaction's signature and verifies all of them
 *    against the spent outputs' tweaked keys with one BIP340 batch verification; if the batch fails it
 *    verifies transaction by transaction and, in a failing one, partial signature by partial
 *    signature, to name the faulty participant (by proposal index: 0 = LSP, i + 1 = `clients[i]`,
 *    never a KeySort position).
 *
 * {@link signTreeSimulated} runs the four steps with every party in one process.
 *
 * Not here: the client's check of its path before round 2 and of the signed path afterwards (see
 * `verify`), the retry with fresh nonces after a failure (the caller's loop), and the distribution
 * transaction's nonces.
 *
 * @module
 */

import { equalBytes as bytesEqual, type Rng } from '@superscalar/core';
import {
  aggregateBatch,
  BatchAggregationError,
  DeterministicSigner,
  decodePubnonce,
  InvalidContributionError,
  keySortWithOrder,
  MuSig2Error,
  nonceGen,
  type Point,
  type SecretNonce,
  Session,
  Signer,
} from '@superscalar/musig2';
import { curve } from '@superscalar/secp';
import { assertBytes, assertInt, assertObject } from './_assert.js';
import { InvalidArgumentError, SigningError } from './errors.js';
import type { FactoryTree } from './transactions.js';

/** One transaction's signing job. */
export interface TxSigningPlan {
  /** Transaction index. */
  readonly tx: number;
  /** The MuSig2 message: the BIP341 key-path sighash. */
  readonly sighash: Uint8Array;
  /** Participants (0 = LSP, i + 1 = clients[i]) in the order of `pubkeys`. */
  readonly signers: readonly number[];
  /** `KeySort` of the signers' keys: the aggregation order. */
  readonly pubkeys: readonly Uint8Array[];
  /** The BIP341 TapTweak, applied as an x-only tweak. */
  readonly tweak: Uint8Array;
  /** x-only internal key `KeyAgg(pubkeys)`. */
  readonly internalKey: Uint8Array;
  /** x-only tweaked output key the final signature must verify against. */
  readonly outputKey: Uint8Array;
}

/** The whole plan. */
export interface SigningPlan {
  /** One entry per tree transaction. */
  readonly txs: readonly TxSigningPlan[];
  /** Per participant (0 = LSP, i + 1 = clients[i]): the transactions it signs, in broadcast order. */
  readonly byParticipant: readonly (readonly number[])[];
}

const plans = new WeakMap<FactoryTree, SigningPlan>();

/** Builds (once per tree object) the signing plan of a tree. */
export function signingPlan(tree: FactoryTree): SigningPlan {
  const cached = plans.get(tree);
  if (cached !== undefined) return cached;
  const txs = tree.txs.map((t) => {
    const keys = t.signers.map((s) => tree.keys[s] as Uint8Array);
    const { sorted, order } = keySortWithOrder(keys);
    return Object.freeze({
      tx: t.index,
      sighash: t.sighash,
      signers: Object.freeze(order.map((o) => t.signers[o] as number)),
      pubkeys: Object.freeze(sorted),
      tweak: t.spentTaproot.tweak,
      internalKey: t.spentTaproot.internalKey,
      outputKey: t.spentTaproot.outputKey,
    });
  });
  const byParticipant: number[][] = tree.keys.map(() => []);
  byParticipant[0] = tree.txs.map((t) => t.index);
  tree.layout.leafPaths.forEach((path, j) => {
    for (const c of tree.layout.leafClients[j] as readonly number[]) byParticipant[c + 1] = [...path];
  });
  const plan: SigningPlan = Object.freeze({
    txs: Object.freeze(txs),
    byParticipant: Object.freeze(byParticipant.map((x) => Object.freeze(x))),
  });
  plans.set(tree, plan);
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Messages

/** Round 1, client → LSP: one public nonce per transaction of the client's path. */
export interface ClientNonces {
  /** The sender (i + 1 = clients[i]). */
  readonly participant: number;
  /** The transactions of its path, in broadcast order (`signingPlan(tree).byParticipant[participant]`). */
  readonly txs: readonly number[];
  /** `pubnonces[j]`: the 66-byte public nonce for `txs[j]`. */
  readonly pubnonces: readonly Uint8Array[];
}

/** Round 2, LSP → one client: the aggregate nonce of every transaction of that client's path. */
export interface ClientAggNonces {
  /** The recipient (i + 1 = clients[i]). */
  readonly participant: number;
  /** The transactions of its path, in broadcast order. */
  readonly txs: readonly number[];
  /** `aggnonces[j]`: the 66-byte `NonceAgg` of every signer's nonce for `txs[j]` (the LSP's included). */
  readonly aggnonces: readonly Uint8Array[];
}

/** Round 2, client → LSP: one partial signature per transaction of the client's path. */
export interface ClientPartialSigs {
  /** The sender (i + 1 = clients[i]). */
  readonly participant: number;
  /** The transactions of its path, in broadcast order. */
  readonly txs: readonly number[];
  /** `psigs[j]`: the 32-byte partial signature for `txs[j]`. */
  readonly psigs: readonly Uint8Array[];
}

// ---------------------------------------------------------------------------------------------
// Client

const STATE_TOKEN = Symbol('ClientSigningState');
let takeState: (s: ClientSigningState) => {
  tree: FactoryTree;
  signer: Signer;
  secnonces: SecretNonce[];
};

/**
 * A client's secret signing state between round 1 and round 2: its secret nonces (in memory only,
 * never serialisable, each usable once) and its key. Round 2 consumes it; after a failure or a crash
 * the ceremony restarts from round 1 with fresh nonces.
 */
export class ClientSigningState {
  /** The client (i + 1 = clients[i]). */
  readonly participant: number;
  /** The transactions of its path. */
  readonly txs: readonly number[];
  readonly #tree: FactoryTree;
  readonly #signer: Signer;
  readonly #secnonces: SecretNonce[];
  #consumed = false;

  /** @internal Built by {@link clientRound1}. */
  constructor(
    token: symbol,
    tree: FactoryTree,
    participant: number,
    signer: Signer,
    txs: readonly number[],
    secnonces: SecretNonce[],
  ) {
    if (token !== STATE_TOKEN)
      throw new InvalidArgumentError('token', 'ClientSigningState: use clientRound1()');
    this.#tree = tree;
    this.participant = participant;
    this.#signer = signer;
    this.txs = txs;
    this.#secnonces = secnonces;
  }

  /** True once round 2 ran (successfully or not): the nonces are spent. */
  get consumed(): boolean {
    return this.#consumed;
  }

  /** Never serialised (it holds secret nonces). */
  toJSON(): never {
    throw new InvalidArgumentError('ClientSigningState', 'holds secret nonces and is never serialised');
  }

  static {
    takeState = (s) => {
      if (s.#consumed)
        throw new InvalidArgumentError(
          'state',
          'round 2 already ran with these nonces; restart the ceremony from round 1 with fresh nonces',
        );
      s.#consumed = true;
      return { tree: s.#tree, signer: s.#signer, secnonces: s.#secnonces };
    };
  }
}

/** Options of {@link clientRound1}. */
export interface ClientRound1Options {
  /** Randomness for the nonces (default: the CSPRNG). Inject only in tests. */
  readonly rng?: Rng;
}

/**
 * Round 1 for client `participant` (i + 1 = clients[i]): one fresh nonce per transaction of its path,
 * hedged with its secret key, the transaction's aggregate key and its sighash (BIP327 NonceGen with
 * every optional input), so even a repeated random draw never gives two transactions one nonce.
 *
 * @throws {InvalidArgumentError} a participant that is not a client, or a key that is not its proposal key.
 */
export function clientRound1(
  tree: FactoryTree,
  participant: number,
  secretKey: Uint8Array,
  options: ClientRound1Options = {},
): { nonces: ClientNonces; state: ClientSigningState } {
  assertInt(participant, 'participant', 1, tree.keys.length - 1);
  assertBytes(secretKey, 'secretKey', 32);
  const signer = signerFor(secretKey, 'secretKey');
  if (!bytesEqual(signer.publicKey, tree.keys[participant] as Uint8Array))
    throw new InvalidArgumentError(
      'secretKey',
      `does not match the proposal key of participant ${participant}`,
    );
  return round1Unchecked(tree, participant, signer, Uint8Array.from(secretKey), options.rng);
}

function signerFor(sk: Uint8Array, name: string): Signer {
  try {
    return new Signer(sk);
  } catch (e) {
    throw new InvalidArgumentError(name, 'not a valid secret key', { cause: e });
  }
}

function round1Unchecked(
  tree: FactoryTree,
  participant: number,
  signer: Signer,
  sk: Uint8Array,
  rng: Rng | undefined,
): { nonces: ClientNonces; state: ClientSigningState } {
  const plan = signingPlan(tree);
  const txs = plan.byParticipant[participant] as readonly number[];
  const pk = tree.keys[participant] as Uint8Array;
  const secnonces: SecretNonce[] = [];
  const pubnonces: Uint8Array[] = [];
  for (const tx of txs) {
    const job = plan.txs[tx] as TxSigningPlan;
    const r = nonceGen({ pk, sk, aggpk: job.outputKey, msg: job.sighash, ...(rng ? { rng } : {}) });
    secnonces.push(r.secnonce);
    pubnonces.push(r.pubnonce);
  }
  return {
    nonces: Object.freeze({ participant, txs, pubnonces: Object.freeze(pubnonces) }),
    state: new ClientSigningState(STATE_TOKEN, tree, participant, signer, txs, secnonces),
  };
}

/** Options of {@link clientRound2}. */
export interface ClientRound2Options {
  /**
   * BIP327's optional self-verification of each partial signature before it is returned (guards
   * against computation faults that would leak the key). Default `true`: a real client keeps it. Turn
   * it off only where the aggregate is verified right after, in the same process.
   */
  readonly selfVerify?: boolean;
}

/**
 * Round 2 for a client: signs every transaction of its path with the aggregate nonces the LSP sent.
 * Consumes the state (each secret nonce signs once). The client signs the sighashes of the tree it
 * rebuilt itself from the proposal; checking its path before this call is the caller's job.
 *
 * @throws {InvalidArgumentError} a message for another client or path, or a consumed state.
 * @throws {SigningError} an undecodable aggregate nonce (blamed on the LSP, participant 0).
 */
export function clientRound2(
  state: ClientSigningState,
  aggNonces: ClientAggNonces,
  options: ClientRound2Options = {},
): ClientPartialSigs {
  if (!(state instanceof ClientSigningState))
    throw new InvalidArgumentError('state', 'expected a ClientSigningState from clientRound1()');
  assertObject(aggNonces, 'aggNonces');
  if (aggNonces.participant !== state.participant)
    throw new InvalidArgumentError(
      'aggNonces.participant',
      `is ${String(aggNonces.participant)}, expected ${state.participant}`,
    );
  assertSameTxs(aggNonces.txs, state.txs, 'aggNonces.txs');
  assertBytesList(aggNonces.aggnonces, 'aggNonces.aggnonces', state.txs.length, 66);
  const { tree, signer, secnonces } = takeState(state);
  const plan = signingPlan(tree);
  const verify = options.selfVerify !== false;
  const psigs = state.txs.map((tx, j) => {
    const job = plan.txs[tx] as TxSigningPlan;
    let session: Session;
    try {
      session = new Session({
        aggnonce: aggNonces.aggnonces[j] as Uint8Array,
        pubkeys: job.pubkeys,
        tweaks: [job.tweak],
        isXonly: [true],
        msg: job.sighash,
      });
    } catch (e) {
      // The only contribution a client's session decodes is the LSP's aggregate nonce.
      if (e instanceof InvalidContributionError && e.contrib === 'aggnonce')
        throw new SigningError(tx, 0, `tx ${tx}: the LSP's aggregate nonce does not decode`, { cause: e });
      throw wrap(e, tx, () => null);
    }
    return signWith(session, job, secnonces[j] as SecretNonce, signer, verify);
  });
  return Object.freeze({ participant: state.participant, txs: state.txs, psigs: Object.freeze(psigs) });
}

function signWith(
  session: Session,
  job: TxSigningPlan,
  secnonce: SecretNonce,
  signer: Signer,
  verify: boolean,
): Uint8Array {
  if (!bytesEqual(session.xonlyPubkey, job.outputKey))
    throw new SigningError(job.tx, null, `tx ${job.tx}: the session key is not the spent output's key`);
  try {
    return signer.sign(secnonce, session, { verify });
  } catch (e) {
    throw wrap(e, job.tx, () => null);
  }
}

// ---------------------------------------------------------------------------------------------
// LSP

interface LspTxState {
  readonly session: Session;
  /** Public nonces in KeySort position order (for blame). */
  readonly pubnonces: readonly Uint8Array[];
  readonly lspPsig: Uint8Array;
  readonly lspPos: number;
  /** The aggregate nonce every signer of the transaction signs with. */
  readonly aggnonce: Uint8Array;
}

const LSP_TOKEN = Symbol('LspSigningState');
let readLsp: (s: LspSigningState) => { tree: FactoryTree; txs: readonly LspTxState[] };

/**
 * The LSP's state between {@link lspSign} and {@link lspAggregate}: one session per transaction, its
 * own partial signatures (which never leave it: only verified aggregate signatures are released) and
 * every client's public nonce (to blame a faulty partial signature). It holds no secret nonce.
 */
export class LspSigningState {
  readonly #tree: FactoryTree;
  readonly #txs: readonly LspTxState[];

  /** @internal Built by {@link lspSign}. */
  constructor(token: symbol, tree: FactoryTree, txs: readonly LspTxState[]) {
    if (token !== LSP_TOKEN) throw new InvalidArgumentError('token', 'LspSigningState: use lspSign()');
    this.#tree = tree;
    this.#txs = txs;
  }

  /** Number of transactions signed. */
  get size(): number {
    return this.#txs.length;
  }

  /** Not serialised (it holds the LSP's unreleased partial signatures). */
  toJSON(): never {
    throw new InvalidArgumentError('LspSigningState', 'holds unreleased partial signatures');
  }

  static {
    readLsp = (s) => ({ tree: s.#tree, txs: s.#txs });
  }
}

/** Options of {@link lspSign}. */
export interface LspSignOptions {
  /**
   * BIP327's self-verification of the LSP's own partial signatures. Default `false`: the LSP's
   * partial signatures never leave {@link LspSigningState}, and {@link lspAggregate} verifies every
   * aggregate (which contains them) before anything is released, so a faulty one is caught there
   * without being disclosed.
   */
  readonly selfVerify?: boolean;
}

/**
 * §8 round 2, the LSP's part: for each transaction, `DeterministicSign(sk, NonceAgg(client nonces),
 * KeySort(keys), [taptweak], [x-only], sighash)`, then the aggregate nonce of each client's path.
 * Statelessly deterministic: the same client nonces give the same answer, and no secret nonce is held.
 *
 * @param nonces one {@link ClientNonces} per client (any order), each covering exactly its path.
 * @throws {InvalidArgumentError} a missing, duplicated or malformed message, or a wrong LSP key.
 * @throws {SigningError} a client nonce that does not decode, naming that client.
 */
export function lspSign(
  tree: FactoryTree,
  lspSecretKey: Uint8Array,
  nonces: readonly ClientNonces[],
  options: LspSignOptions = {},
): { aggNonces: ClientAggNonces[]; state: LspSigningState } {
  assertBytes(lspSecretKey, 'lspSecretKey', 32);
  let signer: DeterministicSigner;
  try {
    signer = new DeterministicSigner(lspSecretKey);
  } catch (e) {
    throw new InvalidArgumentError('lspSecretKey', 'not a valid secret key', { cause: e });
  }
  if (!bytesEqual(signer.publicKey, tree.keys[0] as Uint8Array))
    throw new InvalidArgumentError('lspSecretKey', "does not match the proposal's LSP key");
  const plan = signingPlan(tree);
  const byClient = collectByParticipant(plan, nonces, 'nonces', (m) => m.pubnonces, 'pubnonces', 66);
  // Decode every client nonce once; nonces[tx] holds them by KeySort position (LSP slot empty).
  const decoded: ([Point, Point] | undefined)[][] = plan.txs.map((j) => new Array(j.signers.length));
  const encoded: Uint8Array[][] = plan.txs.map((j) => new Array(j.signers.length));
  const position = positionsOf(plan);
  for (let p = 1; p < byClient.length; p++) {
    const m = byClient[p] as ClientNonces;
    m.txs.forEach((tx, j) => {
      const pn = m.pubnonces[j] as Uint8Array;
      let pts: [Point, Point];
      try {
        pts = decodePubnonce(pn, p);
      } catch (e) {
        throw new SigningError(tx, p, `tx ${tx}: the public nonce of participant ${p} does not decode`, {
          cause: e,
        });
      }
      const pos = (position[tx] as Map<number, number>).get(p) as number;
      (decoded[tx] as ([Point, Point] | undefined)[])[pos] = pts;
      (encoded[tx] as Uint8Array[])[pos] = Uint8Array.from(pn);
    });
  }
  const verify = options.selfVerify === true;
  const states: LspTxState[] = plan.txs.map((job) => {
    const lspPos = job.signers.indexOf(0);
    const R1s: Point[] = [];
    const R2s: Point[] = [];
    const row = decoded[job.tx] as ([Point, Point] | undefined)[];
    for (let pos = 0; pos < job.signers.length; pos++) {
      const pts = row[pos];
      if (pos === lspPos) continue;
      // DeterministicSign is safe only once every other signer's nonce is fixed: never sign without one.
      if (pts === undefined)
        throw new SigningError(
          job.tx,
          job.signers[pos] as number,
          `tx ${job.tx}: no nonce from participant ${job.signers[pos]}`,
        );
      R1s.push(pts[0]);
      R2s.push(pts[1]);
    }
    if (R1s.length === 0)
      throw new SigningError(
        job.tx,
        null,
        `tx ${job.tx}: no client nonce (a transaction the LSP signs alone)`,
      );
    // One sum per nonce half on the curve backend (affine results, no per-term inversion).
    const R1 = curve().sum(R1s);
    const R2 = curve().sum(R2s);
    let r: ReturnType<DeterministicSigner['sign']>;
    try {
      r = signer.sign({
        aggothernonce: [R1, R2],
        pubkeys: job.pubkeys,
        tweaks: [job.tweak],
        isXonly: [true],
        msg: job.sighash,
        verify,
      });
    } catch (e) {
      // The sum of the clients' nonces is infinity in one half: nobody can be blamed alone (BIP327).
      throw wrap(e, job.tx, () => null);
    }
    if (!bytesEqual(r.session.xonlyPubkey, job.outputKey))
      throw new SigningError(job.tx, null, `tx ${job.tx}: the session key is not the spent output's key`);
    const pubnonces = encoded[job.tx] as Uint8Array[];
    pubnonces[lspPos] = r.pubnonce;
    return { session: r.session, pubnonces, lspPsig: r.psig, lspPos, aggnonce: r.aggnonce };
  });
  const aggNonces: ClientAggNonces[] = [];
  for (let p = 1; p < plan.byParticipant.length; p++) {
    const txs = plan.byParticipant[p] as readonly number[];
    aggNonces.push(
      Object.freeze({
        participant: p,
        txs,
        aggnonces: Object.freeze(txs.map((tx) => Uint8Array.from((states[tx] as LspTxState).aggnonce))),
      }),
    );
  }
  return { aggNonces, state: new LspSigningState(LSP_TOKEN, tree, states) };
}

/** Options of {@link lspAggregate}. */
export interface LspAggregateOptions {
  /** Randomness for the batch verification's multipliers (default: the CSPRNG). */
  readonly rng?: Rng;
}

/**
 * §8 step 4: aggregates every transaction's signature and verifies all of them (BIP340 batch
 * verification against each spent output's tweaked key; on failure, transaction by transaction, then
 * partial signature by partial signature to blame). Returns one 64-byte signature per transaction.
 *
 * @param partials one {@link ClientPartialSigs} per client (any order), each covering its path.
 * @throws {SigningError} naming the first failing transaction and its faulty participant (0 = LSP,
 *   i + 1 = clients[i]); blame is informational (BIP327): restart with fresh nonces.
 * @throws {InvalidArgumentError} a missing, duplicated or malformed message.
 */
export function lspAggregate(
  state: LspSigningState,
  partials: readonly ClientPartialSigs[],
  options: LspAggregateOptions = {},
): Uint8Array[] {
  if (!(state instanceof LspSigningState))
    throw new InvalidArgumentError('state', 'expected an LspSigningState from lspSign()');
  const { tree, txs } = readLsp(state);
  const plan = signingPlan(tree);
  const byClient = collectByParticipant(plan, partials, 'partials', (m) => m.psigs, 'psigs', 32);
  const position = positionsOf(plan);
  const psigs: Uint8Array[][] = txs.map((t) => {
    const row = new Array<Uint8Array>(t.pubnonces.length);
    row[t.lspPos] = t.lspPsig;
    return row;
  });
  for (let p = 1; p < byClient.length; p++) {
    const m = byClient[p] as ClientPartialSigs;
    m.txs.forEach((tx, j) => {
      (psigs[tx] as Uint8Array[])[(position[tx] as Map<number, number>).get(p) as number] = m.psigs[
        j
      ] as Uint8Array;
    });
  }
  return aggregateAll(plan, txs, psigs, options.rng);
}

function aggregateAll(
  plan: SigningPlan,
  txs: readonly LspTxState[],
  psigs: readonly (readonly Uint8Array[])[],
  rng: Rng | undefined,
): Uint8Array[] {
  const jobs = txs.map((t, i) => ({
    session: t.session,
    psigs: psigs[i] as readonly Uint8Array[],
    pubnonces: t.pubnonces,
  }));
  try {
    return rng === undefined ? aggregateBatch(jobs) : aggregateBatch(jobs, rng);
  } catch (e) {
    if (e instanceof BatchAggregationError) {
      const first = e.faults[0];
      if (first === undefined) throw new SigningError(-1, null, e.message, { cause: e });
      const job = plan.txs[first.job] as TxSigningPlan;
      const who = first.signers.length > 0 ? (job.signers[first.signers[0] as number] as number) : null;
      const all = e.faults
        .slice(0, 8)
        .map((f) => {
          const jb = plan.txs[f.job] as TxSigningPlan;
          return `tx ${f.job}: participant(s) ${f.signers.map((s) => jb.signers[s]).join(', ') || 'none'} (${f.contrib})`;
        })
        .join('; ');
      throw new SigningError(
        job.tx,
        who,
        `${e.faults.length} transaction(s) failed to aggregate: ${all}${e.faults.length > 8 ? '; …' : ''}`,
        { cause: e },
      );
    }
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Simulation

/** Options of {@link signTreeSimulated}. */
export interface SimulatedSigningOptions {
  /** Randomness for the clients' nonces and the batch verification (default: the CSPRNG). Tests only. */
  readonly rng?: Rng;
  /**
   * Test hook: may replace a participant's partial signature before aggregation (to exercise blame).
   * Never set in production.
   */
  readonly tamper?: (tx: number, participant: number, psig: Uint8Array) => Uint8Array;
  /**
   * Measurement hook: called as each step starts (`'done'` after the last), so a benchmark can time
   * the LSP's share apart from the clients' with its own clock. No clock is read here.
   */
  readonly onPhase?: (phase: SigningPhase) => void;
}

/** The steps {@link signTreeSimulated} reports through `onPhase`. */
export type SigningPhase = 'clientRound1' | 'lspSign' | 'clientRound2' | 'lspAggregate' | 'done';

/**
 * Signs every transaction of `tree` with all parties simulated in one process: {@link clientRound1}
 * for every client, {@link lspSign}, round 2 for every client, {@link lspAggregate}. In-process the
 * clients of one transaction share the LSP's session for it (its values are what each would compute
 * from the same aggregate nonce) and skip BIP327's self-check, since the aggregate of every
 * transaction is verified right after.
 *
 * @param secretKeys 32-byte secret keys indexed by participant (0 = LSP, i + 1 = clients[i]).
 * @returns one 64-byte BIP340 signature per transaction.
 * @throws {SigningError} naming the transaction and the blamed participant.
 */
export function signTreeSimulated(
  tree: FactoryTree,
  secretKeys: readonly Uint8Array[],
  options: SimulatedSigningOptions = {},
): Uint8Array[] {
  if (!Array.isArray(secretKeys) || secretKeys.length !== tree.keys.length)
    throw new InvalidArgumentError('secretKeys', `expected ${tree.keys.length} keys (LSP first)`);
  secretKeys.forEach((sk, i) => {
    assertBytes(sk, `secretKeys[${i}]`, 32);
  });
  const phase = options.onPhase ?? (() => {});
  phase('clientRound1');
  const round1 = secretKeys.slice(1).map((sk, i) => {
    const signer = signerFor(sk, `secretKeys[${i + 1}]`);
    if (!bytesEqual(signer.publicKey, tree.keys[i + 1] as Uint8Array))
      throw new InvalidArgumentError(
        `secretKeys[${i + 1}]`,
        'does not match the proposal key of that participant',
      );
    return round1Unchecked(tree, i + 1, signer, Uint8Array.from(sk), options.rng);
  });
  phase('lspSign');
  const lsp = lspSign(
    tree,
    secretKeys[0] as Uint8Array,
    round1.map((r) => r.nonces),
  );
  phase('clientRound2');
  const { txs } = readLsp(lsp.state);
  const plan = signingPlan(tree);
  const partials = round1.map(({ state }) => {
    const { signer, secnonces } = takeState(state);
    const psigs = state.txs.map((tx, j) => {
      const psig = signWith(
        (txs[tx] as LspTxState).session,
        plan.txs[tx] as TxSigningPlan,
        secnonces[j] as SecretNonce,
        signer,
        false,
      );
      return options.tamper ? options.tamper(tx, state.participant, psig) : psig;
    });
    return { participant: state.participant, txs: state.txs, psigs };
  });
  phase('lspAggregate');
  let state = lsp.state;
  if (options.tamper) {
    const tamper = options.tamper;
    state = new LspSigningState(
      LSP_TOKEN,
      tree,
      txs.map((t, tx) => ({ ...t, lspPsig: tamper(tx, 0, t.lspPsig) })),
    );
  }
  const sigs = lspAggregate(state, partials, options.rng ? { rng: options.rng } : {});
  phase('done');
  return sigs;
}

// ---------------------------------------------------------------------------------------------
// helpers

const positionCache = new WeakMap<SigningPlan, Map<number, number>[]>();

// positions[tx].get(participant) = its KeySort position in that transaction's session.
function positionsOf(plan: SigningPlan): Map<number, number>[] {
  let p = positionCache.get(plan);
  if (p === undefined) {
    p = plan.txs.map((j) => new Map(j.signers.map((s, pos) => [s, pos])));
    positionCache.set(plan, p);
  }
  return p;
}

function collectByParticipant<M extends { participant: number; txs: readonly number[] }>(
  plan: SigningPlan,
  messages: readonly M[],
  name: string,
  list: (m: M) => readonly Uint8Array[],
  listName: string,
  len: number,
): M[] {
  if (!Array.isArray(messages)) throw new InvalidArgumentError(name, 'expected an array');
  const clients = plan.byParticipant.length - 1;
  if (messages.length !== clients)
    throw new InvalidArgumentError(
      name,
      `expected one message per client (${clients}), got ${messages.length}`,
    );
  const by: M[] = new Array(clients + 1);
  messages.forEach((m, i) => {
    assertObject(m as unknown, `${name}[${i}]`);
    assertInt(m.participant, `${name}[${i}].participant`, 1, clients);
    if (by[m.participant] !== undefined)
      throw new InvalidArgumentError(`${name}[${i}].participant`, `participant ${m.participant} sent twice`);
    assertSameTxs(m.txs, plan.byParticipant[m.participant] as readonly number[], `${name}[${i}].txs`);
    assertBytesList(list(m), `${name}[${i}].${listName}`, m.txs.length, len);
    by[m.participant] = m;
  });
  return by;
}

function assertSameTxs(txs: unknown, expected: readonly number[], name: string): void {
  if (!Array.isArray(txs) || txs.length !== expected.length || txs.some((t, i) => t !== expected[i]))
    throw new InvalidArgumentError(
      name,
      `expected exactly the participant's path transactions [${expected.join(', ')}] (one entry per transaction)`,
    );
}

function assertBytesList(v: unknown, name: string, count: number, len: number): void {
  if (!Array.isArray(v) || v.length !== count)
    throw new InvalidArgumentError(name, `expected ${count} item(s), one per path transaction`);
  v.forEach((b, i) => {
    assertBytes(b, `${name}[${i}]`, len);
  });
}

// Maps a musig2 error to a SigningError for transaction `tx`; `blame(signerPos)` maps a KeySort
// position to the participant to blame (or returns a fixed one).
function wrap(e: unknown, tx: number, blame: (pos: number) => number | null): unknown {
  if (e instanceof SigningError || e instanceof InvalidArgumentError) return e;
  if (e instanceof InvalidContributionError) {
    const who = e.signer === null ? null : blame(e.signer);
    return new SigningError(
      tx,
      who,
      `tx ${tx}: invalid ${e.contrib}${who === null ? '' : ` from participant ${who}`}`,
      {
        cause: e,
      },
    );
  }
  if (MuSig2Error.isInstance(e)) return new SigningError(tx, null, `tx ${tx}: ${e.message}`, { cause: e });
  return e;
}
