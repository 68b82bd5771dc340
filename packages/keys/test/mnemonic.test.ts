import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  checkMnemonic,
  ENGLISH_WORDLIST,
  entropyToMnemonic,
  generateMnemonic,
  InvalidArgumentError,
  InvalidMnemonicError,
  KeysError,
  mnemonicToEntropy,
  mnemonicToSeed,
  verifyMnemonic,
} from '../src/index.js';

function problemOf(phrase: string): string | undefined {
  try {
    checkMnemonic(phrase);
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidMnemonicError);
    expect(KeysError.isInstance(e)).toBe(true);
    return (e as InvalidMnemonicError).problem;
  }
}

const abandon24 = `${'abandon '.repeat(23)}art`;

describe('mnemonic generation', () => {
  it('generates 24 words (256 bits) by default from the injected rng', () => {
    const phrase = generateMnemonic({ rng: (n) => new Uint8Array(n) });
    expect(phrase).toBe(abandon24);
    expect(generateMnemonic().split(' ').length).toBe(24);
  });

  it('honours every BIP39 word count and rejects others', () => {
    for (const words of [12, 15, 18, 21, 24] as const)
      expect(generateMnemonic({ words }).split(' ').length).toBe(words);
    expect(() => generateMnemonic({ words: 13 as 12 })).toThrow(InvalidArgumentError);
    expect(() => generateMnemonic({ rng: () => new Uint8Array(3) })).toThrow(InvalidArgumentError);
  });

  it('round-trips entropy → mnemonic → entropy for every valid length (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(16, 20, 24, 28, 32).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
        (entropy) => {
          const phrase = entropyToMnemonic(entropy);
          expect(verifyMnemonic(phrase)).toBe(true);
          expect(mnemonicToEntropy(phrase)).toEqual(entropy);
        },
      ),
      { numRuns: propertyRuns(500, 100) },
    );
  });
});

describe('mnemonic validation names the problem', () => {
  it('rejects a wrong word count', () => {
    expect(problemOf('abandon abandon abandon')).toBe('word-count');
    expect(problemOf('')).toBe('word-count');
  });

  it('rejects an unknown word and says which one', () => {
    const words = abandon24.split(' ');
    words[5] = 'bitcoinz';
    try {
      checkMnemonic(words.join(' '));
      expect.unreachable();
    } catch (e) {
      expect((e as InvalidMnemonicError).problem).toBe('unknown-word');
      expect((e as InvalidMnemonicError).wordIndex).toBe(5);
      expect((e as Error).message).not.toContain('bitcoinz');
    }
  });

  it('rejects a bad checksum (last word changed)', () => {
    expect(problemOf(`${'abandon '.repeat(23)}abandon`)).toBe('checksum');
  });

  it('detects almost every single-word substitution by checksum (property)', () => {
    let undetected = 0;
    let total = 0;
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 1, max: 2047 }),
        (entropy, at, delta) => {
          const words = entropyToMnemonic(entropy).split(' ');
          const i = ENGLISH_WORDLIST.indexOf(words[at] as string);
          words[at] = ENGLISH_WORDLIST[(i + delta) % 2048] as string;
          total++;
          if (verifyMnemonic(words.join(' '))) undetected++;
          else expect(problemOf(words.join(' '))).toBe('checksum');
        },
      ),
      { numRuns: propertyRuns(500, 100) },
    );
    // 8 checksum bits: about 1 in 256 substitutions passes; far fewer than a tenth must.
    expect(undetected).toBeLessThan(total / 10);
  });

  it('normalises whitespace, so the seed does not depend on stray spaces', () => {
    const messy = `  ${abandon24.split(' ').join('   ')}\n`;
    expect(mnemonicToSeed(messy)).toEqual(mnemonicToSeed(abandon24));
  });

  it('refuses to derive a seed from an invalid mnemonic', () => {
    expect(() => mnemonicToSeed(`${'abandon '.repeat(23)}abandon`)).toThrow(InvalidMnemonicError);
  });

  it('a BIP39 passphrase changes the seed', () => {
    expect(mnemonicToSeed(abandon24, { passphrase: 'x' })).not.toEqual(mnemonicToSeed(abandon24));
  });

  it('rejects a bad wordlist as an argument error', () => {
    expect(() => checkMnemonic(abandon24, { wordlist: ['a', 'b'] })).toThrow(InvalidArgumentError);
    expect(() => verifyMnemonic(abandon24, { wordlist: ['a', 'b'] })).toThrow(InvalidArgumentError);
  });
});
