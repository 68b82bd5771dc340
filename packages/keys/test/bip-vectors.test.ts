import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { wordlist as czech } from '@scure/bip39/wordlists/czech.js';
import { wordlist as french } from '@scure/bip39/wordlists/french.js';
import { wordlist as italian } from '@scure/bip39/wordlists/italian.js';
import { wordlist as japanese } from '@scure/bip39/wordlists/japanese.js';
import { wordlist as korean } from '@scure/bip39/wordlists/korean.js';
import { wordlist as portuguese } from '@scure/bip39/wordlists/portuguese.js';
import { wordlist as simplifiedChinese } from '@scure/bip39/wordlists/simplified-chinese.js';
import { wordlist as spanish } from '@scure/bip39/wordlists/spanish.js';
import { wordlist as traditionalChinese } from '@scure/bip39/wordlists/traditional-chinese.js';
import { describe, expect, it } from 'vitest';
import { vectorJson, vectorText } from '../../../test-utils/index.js';
import {
  bip32Derive,
  checkMnemonic,
  decodeExtendedKey,
  ENGLISH_WORDLIST,
  entropyToMnemonic,
  InvalidExtendedKeyError,
  mnemonicToEntropy,
  mnemonicToSeed,
  mnemonicToSeedUnchecked,
} from '../src/index.js';

type Bip39Entry = [entropy: string, mnemonic: string, seed: string, xprv: string];
const bip39 = vectorJson<Record<string, Bip39Entry[]>>('bip39/vectors.json');

// Wordlists @scure/bip39 ships, keyed by the vector file's language names. Russian and Turkish have
// no wordlist there: their phrases go through mnemonicToSeedUnchecked (seed and xprv only).
const WORDLISTS: Record<string, readonly string[]> = {
  english: ENGLISH_WORDLIST,
  chinese_simplified: simplifiedChinese,
  chinese_traditional: traditionalChinese,
  czech,
  french,
  italian,
  japanese,
  korean,
  portuguese,
  spanish,
};

describe('BIP39 official vectors (trezor/python-mnemonic, passphrase TREZOR)', () => {
  it('the English wordlist we ship is the vectors/bip39/english.txt list', () => {
    expect(ENGLISH_WORDLIST).toEqual(vectorText('bip39/english.txt').trim().split('\n'));
  });

  const languages = Object.keys(bip39);
  it('covers all 12 languages × 24 entries', () => {
    expect(languages.length).toBe(12);
    expect(languages.reduce((n, l) => n + (bip39[l]?.length ?? 0), 0)).toBe(288);
  });

  for (const language of languages) {
    const wordlist = WORDLISTS[language];
    const what =
      wordlist === undefined
        ? 'seed and master xprv match every entry (no wordlist shipped: unchecked recovery path)'
        : 'entropy ↔ mnemonic, checksum, seed and master xprv match every entry';
    it(`${language}: ${what}`, () => {
      const entries = bip39[language] ?? [];
      expect(entries.length).toBe(24);
      for (const [entropy, mnemonic, seed, xprv] of entries) {
        let got: Uint8Array;
        if (wordlist !== undefined) {
          expect(entropyToMnemonic(hexToBytes(entropy), { wordlist }).normalize('NFKD')).toBe(
            mnemonic.normalize('NFKD'),
          );
          checkMnemonic(mnemonic, { wordlist });
          expect(bytesToHex(mnemonicToEntropy(mnemonic, { wordlist }))).toBe(entropy);
          got = mnemonicToSeed(mnemonic, { passphrase: 'TREZOR', wordlist });
        } else {
          got = mnemonicToSeedUnchecked(mnemonic, 'TREZOR');
        }
        expect(bytesToHex(got)).toBe(seed);
        expect(bip32Derive(got, 'm').privateExtendedKey).toBe(xprv);
      }
    });
  }
});

interface Bip32Vectors {
  valid: { name: string; seed: string; chains: { path: string; ext_pub: string; ext_prv: string }[] }[];
  invalid: { keys: { key: string; reason: string }[] };
}
const bip32 = vectorJson<Bip32Vectors>('bip32/bip32-test-vectors.json');

describe('BIP32 official vectors', () => {
  it('derives every chain of test vectors 1–4 to the expected xprv and xpub', () => {
    let chains = 0;
    for (const v of bip32.valid) {
      for (const c of v.chains) {
        const node = bip32Derive(hexToBytes(v.seed), c.path);
        expect(node.privateExtendedKey, `${v.name} ${c.path}`).toBe(c.ext_prv);
        expect(node.publicExtendedKey, `${v.name} ${c.path}`).toBe(c.ext_pub);
        // and the serialisations parse back to the same node
        expect(decodeExtendedKey(c.ext_prv).publicExtendedKey).toBe(c.ext_pub);
        expect(decodeExtendedKey(c.ext_pub).secretKey).toBeUndefined();
        chains++;
      }
    }
    expect(chains).toBe(17);
  });

  it('rejects every key of test vector 5 with InvalidExtendedKeyError', () => {
    expect(bip32.invalid.keys.length).toBe(16);
    for (const { key, reason } of bip32.invalid.keys) {
      expect(() => decodeExtendedKey(key), reason).toThrow(InvalidExtendedKeyError);
    }
  });
});
