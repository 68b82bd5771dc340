import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns, vectorJson } from '../../../test-utils/index.js';
import { bip86 } from '../src/_taproot.js';
import {
  bip32Derive,
  derivationPath,
  InvalidArgumentError,
  KEY_PURPOSES,
  Keychain,
  KeychainWipedError,
  type KeyPurpose,
  mnemonicToSeed,
} from '../src/index.js';

const MNEMONIC =
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon ' +
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art';
const kc = Keychain.fromMnemonic(MNEMONIC, { network: 'mainnet' });

/** The secret material of one (purpose, factory, channel) descriptor, as hex. */
function secretOf(k: Keychain, purpose: KeyPurpose, f: number, c: number): string {
  switch (purpose) {
    case 'node-identity':
      return bytesToHex(k.nodeIdentity().secretKey);
    case 'factory':
      return bytesToHex(k.factoryKey(f).secretKey);
    case 'lstock-shachain':
      return bytesToHex(k.lStockShachainSeed(f).secret);
    case 'close-address':
      return bytesToHex(k.closeAddress(f).secretKey);
    case 'channel-revocation':
      return bytesToHex(k.channelKeys(f, c).revocation.secretKey);
    case 'channel-payment':
      return bytesToHex(k.channelKeys(f, c).payment.secretKey);
    case 'channel-delayed-payment':
      return bytesToHex(k.channelKeys(f, c).delayedPayment.secretKey);
    case 'channel-htlc':
      return bytesToHex(k.channelKeys(f, c).htlc.secretKey);
    case 'channel-shachain':
      return bytesToHex(k.channelKeys(f, c).shachainSeed.secret);
  }
}

/** The descriptor with the indices its purpose ignores normalised away. */
function canonical(purpose: KeyPurpose, f: number, c: number): string {
  if (purpose === 'node-identity') return purpose;
  if (purpose.startsWith('channel-')) return `${purpose}/${f}/${c}`;
  return `${purpose}/${f}`;
}

describe('derivation scheme', () => {
  it('uses the documented hardened paths', () => {
    expect(derivationPath('node-identity', 'mainnet')).toBe("m/8383'/0'/0'/0'");
    expect(derivationPath('factory', 'regtest', { factoryIndex: 7 })).toBe("m/8383'/1'/1'/7'");
    expect(derivationPath('lstock-shachain', 'mainnet', { factoryIndex: 3 })).toBe("m/8383'/0'/2'/3'");
    expect(derivationPath('close-address', 'signet', { factoryIndex: 0 })).toBe("m/8383'/1'/3'/0'");
    expect(derivationPath('channel-htlc', 'mainnet', { factoryIndex: 2, channelIndex: 5 })).toBe(
      "m/8383'/0'/4'/2'/5'/3'",
    );
    expect(derivationPath('channel-shachain', 'testnet4', { factoryIndex: 2, channelIndex: 5 })).toBe(
      "m/8383'/1'/4'/2'/5'/4'",
    );
    for (const p of KEY_PURPOSES) {
      const path = derivationPath(p, 'mainnet', {
        ...(p === 'node-identity' ? {} : { factoryIndex: 1 }),
        ...(p.startsWith('channel-') ? { channelIndex: 1 } : {}),
      });
      expect(
        path
          .split('/')
          .slice(1)
          .every((s) => s.endsWith("'")),
      ).toBe(true);
    }
  });

  it('refuses indices that are not an object with a typed error, not a TypeError', () => {
    for (const bad of [null, 7, 'x']) {
      const call = () => derivationPath('factory', 'regtest', bad as never);
      expect(call).toThrow(InvalidArgumentError);
      expect(call).toThrow(/indices/);
    }
  });

  it('derives exactly what plain BIP32 derives at the documented path', () => {
    const seed = mnemonicToSeed(MNEMONIC);
    const k = kc.factoryKey(9);
    expect(k.path).toBe("m/8383'/0'/1'/9'");
    expect(k.secretKey).toEqual(bip32Derive(seed, k.path).secretKey);
    expect(kc.fingerprint).toBe(Keychain.fromSeed(seed, { network: 'mainnet' }).fingerprint);
  });

  it('never gives the same secret to two different purposes or indices (property)', () => {
    const descriptor = fc.tuple(
      fc.constantFrom(...KEY_PURPOSES),
      fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 0x7fff_ffff })),
      fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 0x7fff_ffff })),
    );
    fc.assert(
      fc.property(descriptor, descriptor, ([p1, f1, c1], [p2, f2, c2]) => {
        const same = canonical(p1, f1, c1) === canonical(p2, f2, c2);
        expect(secretOf(kc, p1, f1, c1) === secretOf(kc, p2, f2, c2)).toBe(same);
      }),
      { numRuns: propertyRuns(300, 60) },
    );
  });

  it('gives distinct secrets to every purpose × 3 factories × 3 channels, the sealing key included', () => {
    const seen = new Map<string, string>();
    const add = (hex: string, label: string) => {
      expect(seen.get(hex), `${label} collides`).toBeUndefined();
      seen.set(hex, label);
    };
    add(bytesToHex(kc.storeSealingKey()), 'store-sealing');
    for (const p of KEY_PURPOSES)
      for (let f = 0; f < 3; f++)
        for (let c = 0; c < 3; c++) {
          const label = canonical(p, f, c);
          if (![...seen.values()].includes(label)) add(secretOf(kc, p, f, c), label);
        }
    expect(seen.size).toBe(1 + 1 + 3 * 3 + 5 * 9);
  });

  it('is deterministic: the same mnemonic rebuilds the same keys (recovery)', () => {
    const again = Keychain.fromMnemonic(MNEMONIC, { network: 'mainnet' });
    expect(again.channelKeys(4, 2).payment.publicKey).toEqual(kc.channelKeys(4, 2).payment.publicKey);
    expect(again.storeSealingKey()).toEqual(kc.storeSealingKey());
  });

  it('separates mainnet from test networks and a BIP39 passphrase from none', () => {
    const regtest = Keychain.fromMnemonic(MNEMONIC, { network: 'regtest' });
    const withPass = Keychain.fromMnemonic(MNEMONIC, { network: 'mainnet', passphrase: 'p' });
    expect(regtest.factoryKey(0).secretKey).not.toEqual(kc.factoryKey(0).secretKey);
    expect(withPass.factoryKey(0).secretKey).not.toEqual(kc.factoryKey(0).secretKey);
  });

  it('returns consistent key pairs (public key = secret·G, x-only = its x)', () => {
    const k = kc.channelKeys(1, 1).delayedPayment;
    expect(k.publicKey).toEqual(secp256k1.getPublicKey(k.secretKey, true));
    expect(k.xOnlyPublicKey).toEqual(k.publicKey.slice(1));
  });

  it('rejects out-of-range or missing indices naming the argument', () => {
    for (const bad of [-1, 2 ** 31, 1.5, Number.NaN]) {
      expect(() => kc.factoryKey(bad)).toThrow(InvalidArgumentError);
      expect(() => kc.channelKeys(0, bad)).toThrow(/channelIndex/);
    }
    expect(() => derivationPath('channel-payment', 'mainnet', { factoryIndex: 0 })).toThrow(/channelIndex/);
    expect(() => derivationPath('node-identity', 'mainnet', { factoryIndex: 0 })).toThrow(/factoryIndex/);
    expect(() => Keychain.fromSeed(new Uint8Array(8), { network: 'mainnet' })).toThrow(/seed/);
    expect(() => Keychain.fromSeed(new Uint8Array(32), { network: 'bitcoin' as 'mainnet' })).toThrow(
      /network/,
    );
  });

  it('store-sealing key: 32 bytes, versioned, unknown versions rejected', () => {
    expect(kc.storeSealingKey(1)).toEqual(kc.storeSealingKey());
    expect(kc.storeSealingKey().length).toBe(32);
    expect(() => kc.storeSealingKey(2)).toThrow(InvalidArgumentError);
  });

  it('a wiped keychain derives nothing', () => {
    const k = Keychain.fromMnemonic(MNEMONIC, { network: 'regtest' });
    k.wipe();
    expect(() => k.nodeIdentity()).toThrow(KeychainWipedError);
    expect(() => k.storeSealingKey()).toThrow(KeychainWipedError);
  });
});

describe('close address (BIP86 taproot)', () => {
  interface KeyPathVectors {
    keyPathSpending: {
      inputSpending: {
        given: { internalPrivkey: string; merkleRoot: string | null };
        intermediary: { tweakedPrivkey: string };
      }[];
    }[];
  }
  it('matches the BIP341 key-path vector that has no script tree', () => {
    const v = vectorJson<KeyPathVectors>('bip341/wallet-test-vectors.json');
    const cases = v.keyPathSpending
      .flatMap((k) => k.inputSpending)
      .filter((i) => i.given.merkleRoot === null);
    expect(cases.length).toBeGreaterThan(0);
    for (const c of cases)
      expect(bytesToHex(bip86(hexToBytes(c.given.internalPrivkey)).tweakedSecretKey)).toBe(
        c.intermediary.tweakedPrivkey,
      );
  });

  it('its tweaked secret key signs for its output key, and the script is OP_1 <Q>', () => {
    const a = kc.closeAddress(3);
    const msg = new Uint8Array(32).fill(1);
    expect(schnorr.verify(schnorr.sign(msg, a.tweakedSecretKey), msg, a.outputKey)).toBe(true);
    expect(bytesToHex(a.scriptPubKey)).toBe(`5120${bytesToHex(a.outputKey)}`);
    expect(a.outputKey).not.toEqual(a.xOnlyPublicKey);
  });
});
