/**
 * The signing plan (brief §3.2, §4.5, §8): for each tree transaction its sighash, signer set,
 * aggregate key and taproot tweak; for each client the transactions on its own path (one nonce per
 * transaction, never per node). Plus `signTreeSimulated`, which runs the whole §8 signing with every
 * party simulated in one process: clients sign with fresh nonces, the LSP signs last with BIP327
 * `DeterministicSign`, each aggregate is verified against the spent output's tweaked key, and a signer
 * is blamed only when an aggregate fails.
 *
 * @module
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import {
  deterministicSign,
  InvalidContributionError,
  keySortWithOrder,
  MuSig2Error,
  nonceAgg,
  nonceGen,
  type Rng,
  Session,
} from '@superscalar/musig2';
import { assertBytes } from './_assert.js';
import { bytesEqual } from './_tx.js';
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

/** Builds the signing plan of a tree. */
export function signingPlan(tree: FactoryTree): SigningPlan {
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
  return Object.freeze({
    txs: Object.freeze(txs),
    byParticipant: Object.freeze(byParticipant.map((x) => Object.freeze(x))),
  });
}

/** Options of {@link signTreeSimulated}. */
export interface SimulatedSigningOptions {
  /** Randomness for the clients' nonces (default: the CSPRNG). Inject only in tests. */
  readonly rng?: Rng;
  /**
   * Test hook: may replace a participant's partial signature before aggregation (to exercise blame).
   * Never set in production.
   */
  readonly tamper?: (tx: number, participant: number, psig: Uint8Array) => Uint8Array;
}

/**
 * Signs every transaction of `tree` with all parties simulated (§8 rounds 1–3): for each transaction
 * each client draws one nonce, the LSP runs `DeterministicSign` over the aggregate of the clients'
 * nonces, the clients sign, the aggregate is verified against the spent output's tweaked key; only on
 * failure are partial signatures checked one by one to name the faulty signer.
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
    if (!bytesEqual(secp256k1.getPublicKey(sk, true), tree.keys[i] as Uint8Array))
      throw new InvalidArgumentError(
        `secretKeys[${i}]`,
        'does not match the proposal key of that participant',
      );
  });
  const plan = signingPlan(tree);
  return plan.txs.map((job) => signOne(job, secretKeys, options));
}

function signOne(
  job: TxSigningPlan,
  sks: readonly Uint8Array[],
  options: SimulatedSigningOptions,
): Uint8Array {
  const tweaks = [job.tweak];
  const isXonly = [true];
  const lspPos = job.signers.indexOf(0);
  const pubnonces: Uint8Array[] = new Array(job.signers.length);
  const secnonces = new Map<number, ReturnType<typeof nonceGen>['secnonce']>();
  try {
    // Round 1: every client's nonce for this transaction.
    job.signers.forEach((s, pos) => {
      if (s === 0) return;
      const r = nonceGen({
        pk: job.pubkeys[pos] as Uint8Array,
        sk: sks[s] as Uint8Array,
        aggpk: job.outputKey,
        msg: job.sighash,
        ...(options.rng ? { rng: options.rng } : {}),
      });
      pubnonces[pos] = r.pubnonce;
      secnonces.set(pos, r.secnonce);
    });
    const others = pubnonces.filter((_, pos) => pos !== lspPos);
    const aggothernonce = nonceAgg(others);
    // The LSP signs last, statelessly.
    const lsp = deterministicSign({
      sk: sks[0] as Uint8Array,
      aggothernonce,
      pubkeys: job.pubkeys,
      tweaks,
      isXonly,
      msg: job.sighash,
    });
    pubnonces[lspPos] = lsp.pubnonce;
    const aggnonce = nonceAgg([aggothernonce, lsp.pubnonce]);
    const session = new Session({ aggnonce, pubkeys: job.pubkeys, tweaks, isXonly, msg: job.sighash });
    if (!bytesEqual(session.xonlyPubkey, job.outputKey))
      throw new SigningError(job.tx, null, `tx ${job.tx}: the session key is not the spent output's key`);
    const psigs = job.signers.map((s, pos) => {
      const psig = s === 0 ? lsp.psig : session.sign(secnonces.get(pos) as never, sks[s] as Uint8Array);
      return options.tamper ? options.tamper(job.tx, s, psig) : psig;
    });
    return session.aggregateVerified(psigs, pubnonces);
  } catch (e) {
    if (e instanceof SigningError) throw e;
    if (e instanceof InvalidContributionError && e.signer !== null) {
      const who = job.signers[e.signer] ?? null;
      throw new SigningError(job.tx, who, `tx ${job.tx}: invalid ${e.contrib} from participant ${who}`, {
        cause: e,
      });
    }
    if (MuSig2Error.isInstance(e))
      throw new SigningError(job.tx, null, `tx ${job.tx}: ${e.message}`, { cause: e });
    throw e;
  }
}
