/**
 * The keyfile pattern: open the existing keyfile, or create one only when none exists. A wrong
 * passphrase, a truncated or corrupted keyfile, an unreadable file or an unknown version is an error
 * the caller must surface; it **never** leads to a new secret or to overwriting the file (the C
 * implementation regenerates the key in that case, which loses the funds of the old one).
 *
 * I/O is injected: this module reads and writes nothing itself, so it runs in browsers too.
 *
 * @module
 */
import { bytes } from './_assert.js';
import { type OpenOptions, openAsync, type SealOptions, sealAsync } from './envelope.js';
import { InvalidArgumentError, KeyfileVerifyError } from './errors.js';

/**
 * The caller's file access for {@link openOrCreateKeyfile}. Contract:
 *
 * - `read()` returns the keyfile's bytes, or `undefined` **only** when no keyfile exists (ENOENT). Any
 *   other failure (permissions, I/O error) must throw, never return `undefined`. An existing empty file
 *   is returned as zero bytes (it is then reported as truncated, not replaced).
 * - `write(bytes)` creates the keyfile with exactly these bytes and must **fail if it already exists**
 *   (Node: `open(path, 'wx')`, then write, `fsync`, close; ideally write a temp file and `link` it into
 *   place so a crash never leaves a partial keyfile). It resolves only once the bytes are durable.
 */
export interface KeyfileIo {
  read(): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  write(bytes: Uint8Array): void | Promise<void>;
}

/** Options of {@link openOrCreateKeyfile}. */
export interface OpenOrCreateKeyfileOptions {
  /** File access (see {@link KeyfileIo}). */
  readonly io: KeyfileIo;
  /** The keyfile passphrase. */
  readonly passphrase: string | Uint8Array;
  /**
   * Makes the secret of a new keyfile (e.g. 32 bytes of BIP39 entropy). Called only when `io.read()`
   * reports that no keyfile exists.
   */
  readonly create: () => Uint8Array | Promise<Uint8Array>;
  /** Envelope options for a new keyfile (KDF cost, rng). */
  readonly seal?: SealOptions;
  /** Envelope options for opening (only `allowWeakKdf`, for tests). */
  readonly open?: OpenOptions;
}

/** What {@link openOrCreateKeyfile} returns. */
export interface KeyfileResult {
  /** The keyfile's secret (a new array the caller owns). */
  readonly secret: Uint8Array;
  /** True when this call created the keyfile (show the user their backup phrase now). */
  readonly created: boolean;
}

/**
 * Opens the keyfile with `passphrase`, or — only when `io.read()` says none exists — creates a new
 * secret, seals it, writes it with `io.write` and reads it back to check it landed intact.
 *
 * Every error from reading or opening propagates unchanged (e.g. `WrongPassphraseError`,
 * `EnvelopeTruncatedError`, `EnvelopeCorruptedError`, `EnvelopeVersionError`), and in each of those
 * cases `create` and `write` are never called.
 *
 * @throws {KeyfileVerifyError} the bytes read back after creation differ from those written.
 */
export async function openOrCreateKeyfile(options: OpenOrCreateKeyfileOptions): Promise<KeyfileResult> {
  const { io, passphrase } = options;
  if (typeof io?.read !== 'function' || typeof io.write !== 'function')
    throw new InvalidArgumentError('options.io', 'expected { read, write } functions');
  if (typeof options.create !== 'function')
    throw new InvalidArgumentError('options.create', 'expected a function');
  const existing = await io.read();
  if (existing !== undefined) {
    const secret = await openAsync(bytes(existing, 'io.read()'), passphrase, options.open);
    return { secret, created: false };
  }
  const secret = bytes(await options.create(), 'options.create()');
  const envelope = await sealAsync(secret, passphrase, options.seal);
  await io.write(Uint8Array.from(envelope));
  const back = await io.read();
  if (back === undefined || back.length !== envelope.length || back.some((b, i) => b !== envelope[i]))
    throw new KeyfileVerifyError(
      'the keyfile read back after creation differs from what was written; check the storage',
    );
  return { secret, created: true };
}
