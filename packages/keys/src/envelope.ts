/**
 * The password envelope: bytes sealed under a passphrase with scrypt (RFC 7914) and
 * ChaCha20-Poly1305 (RFC 8439), in a versioned, self-describing format. Used for the keyfile and for
 * `@superscalar/persist`'s backups. It works on bytes only; reading and writing files is the caller's.
 *
 * Format, version 1 (all integers big-endian):
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 4 | magic `SSEN` (`53 53 45 4e`) |
 * | 4 | 1 | format version = 1 |
 * | 5 | 1 | KDF id = 1 (scrypt) |
 * | 6 | 3 | scrypt `log2N`, `r`, `p` |
 * | 9 | 16 | salt |
 * | 25 | 12 | nonce |
 * | 37 | 4 | plaintext length `n` |
 * | 41 | 16 | passphrase check: `HMAC-SHA256(checkKey, bytes[0..41])[0..16]` |
 * | 57 | n + 16 | ChaCha20-Poly1305 ciphertext and tag, AAD = `bytes[0..57]` |
 * | 73 + n | 8 | checksum: `SHA-256(bytes[0..73+n])[0..8]` |
 *
 * `scrypt(passphrase, salt, N = 2^log2N, r, p, dkLen = 64)` gives `encKey || checkKey`. The checksum
 * (no secret) tells corruption from a wrong passphrase before any KDF work; the check value tells a
 * wrong passphrase from a damaged ciphertext; the AEAD tag authenticates header and body. The check
 * value costs an attacker as much as trial decryption, so it does not weaken the passphrase.
 *
 * Not done here: key stretching beyond scrypt, streaming, multiple recipients.
 *
 * @module
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hmac } from '@noble/hashes/hmac.js';
import { scrypt, scryptAsync } from '@noble/hashes/scrypt.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { cryptoRng, equalBytesConstantTime, type Rng } from '@superscalar/core';
import { bytes, int, randomFrom, text } from './_assert.js';
import {
  EnvelopeCorruptedError,
  EnvelopeTruncatedError,
  EnvelopeVersionError,
  InvalidArgumentError,
  WeakKdfError,
  WrongPassphraseError,
} from './errors.js';

/** The 4-byte magic that starts every envelope: ASCII `SSEN`. */
export const ENVELOPE_MAGIC: Uint8Array = Uint8Array.of(0x53, 0x53, 0x45, 0x4e);
/** The envelope format version this release writes (and the only one it reads). */
export const ENVELOPE_VERSION = 1;
/** KDF identifier of scrypt in the envelope header. */
export const KDF_SCRYPT = 1;

/** scrypt cost parameters: `N = 2^log2N`, block size `r`, parallelism `p`. */
export interface ScryptParams {
  readonly log2N: number;
  readonly r: number;
  readonly p: number;
}

/**
 * Production scrypt cost: N = 2^17, r = 8, p = 1 (128 MiB, OWASP's scrypt minimum). About 0.3–1 s
 * in JavaScript on a 2-core machine.
 */
export const DEFAULT_SCRYPT: ScryptParams = Object.freeze({ log2N: 17, r: 8, p: 1 });

/**
 * Test-only scrypt cost (N = 2^10, r = 8, p = 1): milliseconds. Accepted only with `allowWeakKdf: true`.
 */
export const TEST_SCRYPT: ScryptParams = Object.freeze({ log2N: 10, r: 8, p: 1 });

/**
 * The most scrypt cost this release writes or reads: twice {@link DEFAULT_SCRYPT}, in memory
 * (`128 · N · r` ≤ 256 MiB) and in work (`N · r · p` ≤ 2^21), with `log2N` ≤ 18, `r` ≤ 16, `p` ≤ 4.
 * The library writes {@link DEFAULT_SCRYPT} unless told otherwise; the factor of two is headroom for a
 * caller who raises the cost one step. Every header is checked against these bounds before any KDF
 * work, so a hostile or damaged header costs at most twice an honest open (not the 1 GiB and 16x the
 * work the bounds of earlier releases let a header ask for) before "wrong passphrase".
 */
export const MAX_SCRYPT = Object.freeze({
  log2N: 18,
  r: 16,
  p: 4,
  /** Bytes of scrypt memory, `128 · N · r`. */
  memoryBytes: 2 ** 28,
  /** `N · r · p`. */
  work: 2 ** 21,
} as const);

// The floor applies unless allowWeakKdf.
const MAX_LOG2N = MAX_SCRYPT.log2N;
const MAX_R = MAX_SCRYPT.r;
const MAX_P = MAX_SCRYPT.p;
const MAX_MEMORY = MAX_SCRYPT.memoryBytes; // 128 · N · r bytes
const MAX_WORK = MAX_SCRYPT.work; // N · r · p
const FLOOR_MEMORY = 2 ** 27; // 128 · N · r ≥ 128 MiB

const HEADER_LEN = 57; // through the check value
const CHECK_START = 41;
const TAG_LEN = 16;
const SUM_LEN = 8;
const SALT_LEN = 16;
const NONCE_LEN = 12;
/** Largest plaintext an envelope holds: 2^32 − 1 bytes. */
export const MAX_PLAINTEXT = 0xffff_ffff;

/** Options of {@link seal} and {@link sealAsync}. */
export interface SealOptions {
  /** scrypt cost; default {@link DEFAULT_SCRYPT}. Below the floor requires `allowWeakKdf`. */
  readonly kdf?: ScryptParams;
  /**
   * Accept a scrypt cost below the production floor (128 MiB). **For tests only**: an envelope sealed
   * this way can be brute-forced far faster. Default false.
   */
  readonly allowWeakKdf?: boolean;
  /** Randomness for the salt and nonce; default a CSPRNG (`crypto.getRandomValues`). */
  readonly rng?: Rng;
}

/** Options of {@link open} and {@link openAsync}. */
export interface OpenOptions {
  /** Open envelopes sealed below the production floor. **For tests only.** Default false. */
  readonly allowWeakKdf?: boolean;
}

/** What {@link inspectEnvelope} reads from an envelope without the passphrase. */
export interface EnvelopeInfo {
  /** Format version (1). */
  readonly version: number;
  /** KDF identifier (1 = scrypt). */
  readonly kdf: number;
  /** The scrypt parameters the envelope was sealed with. */
  readonly scrypt: ScryptParams;
  /** Length of the sealed plaintext in bytes. */
  readonly plaintextLength: number;
  /** Total length of the envelope in bytes. */
  readonly envelopeLength: number;
}

function passphraseBytes(passphrase: unknown, name: string): Uint8Array {
  if (passphrase instanceof Uint8Array) return Uint8Array.from(passphrase);
  // Strings are NFKD-normalised (as BIP39 does) so the same passphrase typed on two systems matches.
  return new TextEncoder().encode(text(passphrase, name).normalize('NFKD'));
}

function checkParams(p: ScryptParams, name: string): void {
  int(p.log2N, `${name}.log2N`, 1, MAX_LOG2N);
  int(p.r, `${name}.r`, 1, MAX_R);
  int(p.p, `${name}.p`, 1, MAX_P);
  const n = 2 ** p.log2N;
  if (128 * n * p.r > MAX_MEMORY)
    throw new InvalidArgumentError(name, 'needs more than 256 MiB of memory (MAX_SCRYPT: twice the default)');
  if (n * p.r * p.p > MAX_WORK)
    throw new InvalidArgumentError(name, 'costs more than twice the default work (MAX_SCRYPT)');
}

function isWeak(p: ScryptParams): boolean {
  return 128 * 2 ** p.log2N * p.r < FLOOR_MEMORY;
}

function scryptOpts(p: ScryptParams) {
  return { N: 2 ** p.log2N, r: p.r, p: p.p, dkLen: 64, maxmem: 2 * MAX_MEMORY };
}

function checkValue(checkKey: Uint8Array, head: Uint8Array): Uint8Array {
  return hmac(sha256, checkKey, head.subarray(0, CHECK_START)).subarray(0, 16);
}

interface SealPlan {
  readonly plaintext: Uint8Array;
  readonly pass: Uint8Array;
  readonly head: Uint8Array;
  readonly params: ScryptParams;
}

function planSeal(plaintext: unknown, passphrase: unknown, options: SealOptions | undefined): SealPlan {
  const pt = bytes(plaintext, 'plaintext');
  if (pt.length > MAX_PLAINTEXT) throw new InvalidArgumentError('plaintext', 'longer than 2^32 − 1 bytes');
  const pass = passphraseBytes(passphrase, 'passphrase');
  if (pass.length === 0) throw new InvalidArgumentError('passphrase', 'must not be empty');
  const params = options?.kdf ?? DEFAULT_SCRYPT;
  checkParams(params, 'options.kdf');
  if (isWeak(params) && options?.allowWeakKdf !== true) throw new WeakKdfError(params, 'options.kdf');
  const rng = options?.rng ?? cryptoRng;
  const salt = randomFrom(rng, SALT_LEN, 'options.rng');
  const nonce = randomFrom(rng, NONCE_LEN, 'options.rng');
  const head = new Uint8Array(HEADER_LEN);
  head.set(ENVELOPE_MAGIC, 0);
  head[4] = ENVELOPE_VERSION;
  head[5] = KDF_SCRYPT;
  head[6] = params.log2N;
  head[7] = params.r;
  head[8] = params.p;
  head.set(salt, 9);
  head.set(nonce, 25);
  new DataView(head.buffer).setUint32(37, pt.length, false);
  return { plaintext: pt, pass, head, params: { log2N: params.log2N, r: params.r, p: params.p } };
}

function finishSeal(plan: SealPlan, dk: Uint8Array): Uint8Array {
  const { head, plaintext } = plan;
  const encKey = dk.subarray(0, 32);
  head.set(checkValue(dk.subarray(32, 64), head), CHECK_START);
  const ct = chacha20poly1305(encKey, head.subarray(25, 37), head).encrypt(plaintext);
  dk.fill(0);
  plaintext.fill(0);
  plan.pass.fill(0);
  const out = new Uint8Array(HEADER_LEN + ct.length + SUM_LEN);
  out.set(head, 0);
  out.set(ct, HEADER_LEN);
  out.set(sha256(out.subarray(0, HEADER_LEN + ct.length)).subarray(0, SUM_LEN), HEADER_LEN + ct.length);
  return out;
}

/**
 * Seals `plaintext` under `passphrase`. Synchronous: blocks for the scrypt time (use
 * {@link sealAsync} on a UI or server thread). Returns a new byte array; the caller's bytes are copied.
 *
 * @throws {InvalidArgumentError} empty passphrase, bad KDF parameters, bad rng output.
 * @throws {WeakKdfError} a KDF cost below the floor without `allowWeakKdf`.
 */
export function seal(
  plaintext: Uint8Array,
  passphrase: string | Uint8Array,
  options?: SealOptions,
): Uint8Array {
  const plan = planSeal(plaintext, passphrase, options);
  return finishSeal(plan, scrypt(plan.pass, plan.head.subarray(9, 25), scryptOpts(plan.params)));
}

/** Like {@link seal}, but runs scrypt in slices that yield to the event loop. */
export async function sealAsync(
  plaintext: Uint8Array,
  passphrase: string | Uint8Array,
  options?: SealOptions,
): Promise<Uint8Array> {
  const plan = planSeal(plaintext, passphrase, options);
  return finishSeal(plan, await scryptAsync(plan.pass, plan.head.subarray(9, 25), scryptOpts(plan.params)));
}

interface Parsed {
  readonly env: Uint8Array;
  readonly info: EnvelopeInfo;
}

function parse(envelope: unknown, name: string): Parsed {
  const env = bytes(envelope, name);
  const magicLen = Math.min(env.length, 4);
  for (let i = 0; i < magicLen; i++)
    if (env[i] !== ENVELOPE_MAGIC[i])
      throw new EnvelopeCorruptedError('magic', 'not a SuperScalar envelope (bad magic bytes)');
  if (env.length < 5) throw new EnvelopeTruncatedError(HEADER_LEN + TAG_LEN + SUM_LEN, env.length);
  const version = env[4] as number;
  if (version !== ENVELOPE_VERSION) throw new EnvelopeVersionError(version);
  if (env.length < HEADER_LEN) throw new EnvelopeTruncatedError(HEADER_LEN + TAG_LEN + SUM_LEN, env.length);
  const kdf = env[5] as number;
  if (kdf !== KDF_SCRYPT) throw new EnvelopeVersionError(version, kdf);
  const n = new DataView(env.buffer, env.byteOffset, env.byteLength).getUint32(37, false);
  const total = HEADER_LEN + n + TAG_LEN + SUM_LEN;
  if (env.length < total) throw new EnvelopeTruncatedError(total, env.length);
  if (env.length > total)
    throw new EnvelopeCorruptedError('length', `${env.length - total} unexpected trailing bytes`);
  const sum = sha256(env.subarray(0, total - SUM_LEN)).subarray(0, SUM_LEN);
  if (!equalBytesConstantTime(sum, env.subarray(total - SUM_LEN)))
    throw new EnvelopeCorruptedError('checksum', 'checksum mismatch; restore the file from a backup');
  const scryptParams = { log2N: env[6] as number, r: env[7] as number, p: env[8] as number };
  try {
    checkParams(scryptParams, 'envelope.kdf');
  } catch (e) {
    throw new EnvelopeCorruptedError('kdf-params', (e as Error).message);
  }
  return {
    env,
    info: { version, kdf, scrypt: scryptParams, plaintextLength: n, envelopeLength: total },
  };
}

/**
 * Reads an envelope's header and checks its structure and checksum, without the passphrase and
 * without any KDF work.
 *
 * @throws {EnvelopeTruncatedError} | {EnvelopeCorruptedError} | {EnvelopeVersionError}
 */
export function inspectEnvelope(envelope: Uint8Array): EnvelopeInfo {
  return parse(envelope, 'envelope').info;
}

function planOpen(envelope: unknown, passphrase: unknown, options: OpenOptions | undefined) {
  const parsed = parse(envelope, 'envelope');
  if (isWeak(parsed.info.scrypt) && options?.allowWeakKdf !== true)
    throw new WeakKdfError(parsed.info.scrypt, 'envelope');
  const pass = passphraseBytes(passphrase, 'passphrase');
  return { ...parsed, pass };
}

function finishOpen(env: Uint8Array, info: EnvelopeInfo, dk: Uint8Array): Uint8Array {
  const head = env.subarray(0, HEADER_LEN);
  const ok = equalBytesConstantTime(
    checkValue(dk.subarray(32, 64), head),
    head.subarray(CHECK_START, HEADER_LEN),
  );
  if (!ok) {
    dk.fill(0);
    throw new WrongPassphraseError();
  }
  const body = env.subarray(HEADER_LEN, HEADER_LEN + info.plaintextLength + TAG_LEN);
  try {
    return chacha20poly1305(dk.subarray(0, 32), head.subarray(25, 37), head).decrypt(body);
  } catch {
    throw new EnvelopeCorruptedError(
      'authentication',
      'the passphrase is right but the ciphertext fails authentication; restore from a backup',
    );
  } finally {
    dk.fill(0);
  }
}

/**
 * Opens an envelope sealed by {@link seal}. Synchronous (see {@link openAsync}).
 *
 * Checks run in this order, each with its own error: structure and version, checksum (no secret
 * needed), KDF bounds and floor, the passphrase check value, then the AEAD tag.
 *
 * @throws {EnvelopeTruncatedError} the bytes end before the header says they should.
 * @throws {EnvelopeCorruptedError} bad magic, trailing bytes, checksum, KDF bounds or authentication.
 * @throws {EnvelopeVersionError} an unknown format version or KDF.
 * @throws {WeakKdfError} sealed below the floor and `allowWeakKdf` not set.
 * @throws {WrongPassphraseError} the passphrase does not open it.
 */
export function open(
  envelope: Uint8Array,
  passphrase: string | Uint8Array,
  options?: OpenOptions,
): Uint8Array {
  const { env, info, pass } = planOpen(envelope, passphrase, options);
  const dk = scrypt(pass, env.subarray(9, 25), scryptOpts(info.scrypt));
  pass.fill(0);
  return finishOpen(env, info, dk);
}

/** Like {@link open}, but runs scrypt in slices that yield to the event loop. */
export async function openAsync(
  envelope: Uint8Array,
  passphrase: string | Uint8Array,
  options?: OpenOptions,
): Promise<Uint8Array> {
  const { env, info, pass } = planOpen(envelope, passphrase, options);
  const dk = await scryptAsync(pass, env.subarray(9, 25), scryptOpts(info.scrypt));
  pass.fill(0);
  return finishOpen(env, info, dk);
}
