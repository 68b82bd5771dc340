/**
 * BIP39 mnemonics (https://github.com/bitcoin/bips/blob/master/bip-0039.mediawiki) through
 * @scure/bip39, with typed errors that say what is wrong with a phrase.
 *
 * - Generation draws entropy from an injected `rng` (default a CSPRNG); 24 words (256 bits) by default.
 * - Every function that turns a phrase into a seed validates the checksum first, except
 *   {@link mnemonicToSeedUnchecked}, which exists only to recover phrases from wordlists this
 *   package does not ship.
 * - "The mnemonic sentence … is normalised to NFKD"; we also collapse runs of whitespace (and the
 *   ideographic space) to one ASCII space and trim the ends, so the seed is always computed over the
 *   canonical sentence a BIP39 generator emits. Stricter than BIP39 on input, identical on output.
 *
 * @module
 */

import {
  entropyToMnemonic as scureEntropyToMnemonic,
  mnemonicToEntropy as scureMnemonicToEntropy,
  mnemonicToSeedSync as scureMnemonicToSeed,
} from '@scure/bip39';
import { wordlist as english } from '@scure/bip39/wordlists/english.js';
import { cryptoRng, type Rng } from '@superscalar/core';
import { bytes, randomFrom, text } from './_assert.js';
import { InvalidArgumentError, InvalidMnemonicError } from './errors.js';

/** Word counts BIP39 defines, and the entropy bytes behind each. */
export const MNEMONIC_WORD_COUNTS = [12, 15, 18, 21, 24] as const;
/** A valid BIP39 word count. */
export type MnemonicWordCount = (typeof MNEMONIC_WORD_COUNTS)[number];

/** The BIP39 English wordlist (2048 words), the default everywhere. */
export const ENGLISH_WORDLIST: readonly string[] = Object.freeze([...english]);

/** Options shared by the mnemonic functions. */
export interface WordlistOption {
  /** A 2048-word BIP39 wordlist; default {@link ENGLISH_WORDLIST}. */
  readonly wordlist?: readonly string[];
}

/** Options of {@link generateMnemonic}. */
export interface GenerateMnemonicOptions extends WordlistOption {
  /** Number of words: 12, 15, 18, 21 or 24 (default 24, i.e. 256 bits of entropy). */
  readonly words?: MnemonicWordCount;
  /** Randomness; default a CSPRNG (`crypto.getRandomValues`). */
  readonly rng?: Rng;
}

/** Options of {@link mnemonicToSeed}. */
export interface MnemonicToSeedOptions extends WordlistOption {
  /** The optional BIP39 passphrase ("25th word"); default empty. NFKD-normalised. */
  readonly passphrase?: string;
}

interface Wordlist {
  /** The list as given (used to encode, so output keeps the list's own spelling). */
  readonly list: string[];
  /** The list in NFKD (used to decode NFKD-normalised phrases). */
  readonly nfkd: string[];
  readonly index: ReadonlyMap<string, number>;
}
const wordlistCache = new WeakMap<readonly string[], Wordlist>();

function wordIndex(wordlist: readonly string[] | undefined): Wordlist {
  const wl = wordlist ?? ENGLISH_WORDLIST;
  let entry = wordlistCache.get(wl);
  if (entry === undefined) {
    if (!Array.isArray(wl) || wl.length !== 2048 || wl.some((w) => typeof w !== 'string'))
      throw new InvalidArgumentError('options.wordlist', 'expected an array of 2048 strings');
    const nfkd = wl.map((w) => w.normalize('NFKD'));
    const index = new Map(nfkd.map((w, i) => [w, i]));
    if (index.size !== 2048) throw new InvalidArgumentError('options.wordlist', 'has duplicate words');
    entry = { list: [...wl], nfkd, index };
    wordlistCache.set(wl, entry);
  }
  return entry;
}

/** Normalises a phrase: NFKD, whitespace runs collapsed to one space, ends trimmed. */
export function normalizeMnemonic(mnemonic: string): string {
  return text(mnemonic, 'mnemonic').normalize('NFKD').trim().split(/\s+/u).join(' ');
}

function checked(
  mnemonic: string,
  wordlist: readonly string[] | undefined,
): { phrase: string; list: string[] } {
  const phrase = normalizeMnemonic(mnemonic);
  const { nfkd: list, index } = wordIndex(wordlist);
  const words = phrase === '' ? [] : phrase.split(' ');
  if (!(MNEMONIC_WORD_COUNTS as readonly number[]).includes(words.length))
    throw new InvalidMnemonicError(
      'word-count',
      `mnemonic has ${words.length} words; BIP39 allows 12, 15, 18, 21 or 24`,
    );
  const bad = words.findIndex((w) => !index.has(w));
  if (bad >= 0)
    throw new InvalidMnemonicError('unknown-word', `mnemonic word ${bad + 1} is not in the wordlist`, bad);
  try {
    scureMnemonicToEntropy(phrase, list);
  } catch (e) {
    throw new InvalidMnemonicError(
      'checksum',
      'mnemonic checksum does not match: a word is wrong or out of order',
      undefined,
      { cause: e },
    );
  }
  return { phrase, list };
}

/**
 * Generates a new mnemonic (24 words by default).
 *
 * @throws {InvalidArgumentError} a bad word count, wordlist or rng output.
 */
export function generateMnemonic(options?: GenerateMnemonicOptions): string {
  const words = options?.words ?? 24;
  if (!(MNEMONIC_WORD_COUNTS as readonly number[]).includes(words))
    throw new InvalidArgumentError('options.words', `expected 12, 15, 18, 21 or 24, got ${String(words)}`);
  const entropy = randomFrom(options?.rng ?? cryptoRng, (words / 3) * 4, 'options.rng');
  try {
    return entropyToMnemonic(entropy, options);
  } finally {
    entropy.fill(0);
  }
}

/**
 * Encodes 16, 20, 24, 28 or 32 bytes of entropy as a mnemonic.
 *
 * @throws {InvalidArgumentError} entropy of another length.
 */
export function entropyToMnemonic(entropy: Uint8Array, options?: WordlistOption): string {
  const e = bytes(entropy, 'entropy');
  if (![16, 20, 24, 28, 32].includes(e.length))
    throw new InvalidArgumentError('entropy', `expected 16, 20, 24, 28 or 32 bytes, got ${e.length}`);
  return scureEntropyToMnemonic(e, wordIndex(options?.wordlist).list);
}

/**
 * Decodes a mnemonic back to its entropy, validating it.
 *
 * @throws {InvalidMnemonicError} wrong word count, unknown word or bad checksum.
 */
export function mnemonicToEntropy(mnemonic: string, options?: WordlistOption): Uint8Array {
  const { phrase, list } = checked(mnemonic, options?.wordlist);
  return Uint8Array.from(scureMnemonicToEntropy(phrase, list));
}

/**
 * Throws a typed {@link InvalidMnemonicError} unless the mnemonic is valid for the wordlist; returns
 * nothing.
 */
export function checkMnemonic(mnemonic: string, options?: WordlistOption): void {
  checked(mnemonic, options?.wordlist);
}

/**
 * True when the mnemonic is valid for the wordlist, false when it is not (never throws for a string);
 * throws {@link InvalidArgumentError} only for a malformed `options.wordlist`.
 */
export function verifyMnemonic(mnemonic: string, options?: WordlistOption): boolean {
  try {
    checked(mnemonic, options?.wordlist);
    return true;
  } catch (e) {
    if (e instanceof InvalidArgumentError && e.argument === 'options.wordlist') throw e;
    return false;
  }
}

/**
 * Validates the mnemonic, then computes the 64-byte BIP39 seed
 * (`PBKDF2-HMAC-SHA512(NFKD(mnemonic), "mnemonic" || NFKD(passphrase), 2048)`).
 *
 * @throws {InvalidMnemonicError} an invalid mnemonic.
 */
export function mnemonicToSeed(mnemonic: string, options?: MnemonicToSeedOptions): Uint8Array {
  const { phrase } = checked(mnemonic, options?.wordlist);
  const passphrase = text(options?.passphrase ?? '', 'options.passphrase');
  return Uint8Array.from(scureMnemonicToSeed(phrase, passphrase));
}

/**
 * Computes the BIP39 seed of a phrase **without** checking its words or checksum. Only for recovering
 * a phrase whose wordlist this package does not ship (e.g. Russian or Turkish); a typo here silently
 * yields a different, empty wallet. Prefer {@link mnemonicToSeed}.
 *
 * @throws {InvalidArgumentError} a phrase that is not a well-formed string, or has no words.
 */
export function mnemonicToSeedUnchecked(mnemonic: string, passphrase = ''): Uint8Array {
  const phrase = normalizeMnemonic(mnemonic);
  if (phrase === '') throw new InvalidArgumentError('mnemonic', 'is empty');
  return Uint8Array.from(scureMnemonicToSeed(phrase, text(passphrase, 'passphrase')));
}
