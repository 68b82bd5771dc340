import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { vectorJson } from '../../../test-utils/index.js';
import { Bip86Account, bip86Path, InvalidArgumentError, mnemonicToSeed } from '../src/index.js';

interface AddressVector {
  path: string;
  xprv: string;
  xpub: string;
  internal_key: string;
  output_key: string;
  scriptPubKey: string;
}
const v = vectorJson<{
  mnemonic: string;
  account: { path: string; xprv: string; xpub: string };
  addresses: AddressVector[];
}>('bip86/bip86-test-vectors.json');

describe('BIP86 spec vectors (vectors/bip86)', () => {
  const account = Bip86Account.fromMnemonic(v.mnemonic, { network: 'mainnet', account: 0 });

  it('derives the account extended keys of m/86h/0h/0h', () => {
    expect(account.path).toBe(v.account.path);
    expect(account.extendedPrivateKey).toBe(v.account.xprv);
    expect(account.extendedPublicKey).toBe(v.account.xpub);
  });

  for (const a of v.addresses) {
    it(`derives ${a.path}: internal key, output key, scriptPubKey`, () => {
      const [, , , , change, index] = a.path.split('/');
      const k = account.deriveSecret(Number(change) as 0 | 1, Number(index));
      expect(k.path).toBe(a.path);
      expect(bytesToHex(k.internalKey)).toBe(a.internal_key);
      expect(bytesToHex(k.outputKey)).toBe(a.output_key);
      expect(bytesToHex(k.scriptPubKey)).toBe(a.scriptPubKey);
      // the public-only account (from the xpub) derives the same script without secrets
      const watch = Bip86Account.fromExtendedKey(v.account.xpub, { network: 'mainnet' });
      const p = watch.deriveKey(Number(change) as 0 | 1, Number(index));
      expect(bytesToHex(p.outputKey)).toBe(a.output_key);
      expect(() => watch.deriveSecret(0, 0)).toThrow(InvalidArgumentError);
    });
  }

  it('the seed path and the mnemonic path agree; test networks use coin 1', () => {
    const seed = mnemonicToSeed(v.mnemonic);
    const a = Bip86Account.fromSeed(seed, { network: 'regtest', account: 3 });
    expect(a.path).toBe("m/86'/1'/3'");
    expect(a.extendedPublicKey.startsWith('tpub')).toBe(true);
    expect(bip86Path('regtest', 3, 1, 7)).toBe("m/86'/1'/3'/1/7");
    expect(a.deriveKey(0, 0).scriptPubKey).toEqual(a.deriveSecret(0, 0).scriptPubKey);
  });

  it('refuses bad accounts, indices and foreign extended keys with InvalidArgumentError', () => {
    expect(() => Bip86Account.fromMnemonic(v.mnemonic, { network: 'mainnet', account: -1 })).toThrow(
      InvalidArgumentError,
    );
    expect(() => account.deriveKey(0, 2 ** 31)).toThrow(InvalidArgumentError);
    expect(() => account.deriveKey(2 as 0, 0)).toThrow(InvalidArgumentError);
    expect(() => Bip86Account.fromExtendedKey(v.account.xpub, { network: 'regtest' })).toThrow(
      InvalidArgumentError,
    );
    expect(() => Bip86Account.fromExtendedKey(v.account.xpub, { network: 'mainnet', account: 1 })).toThrow(
      InvalidArgumentError,
    );
  });
});
