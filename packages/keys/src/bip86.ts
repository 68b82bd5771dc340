/**
 * BIP86 (https://github.com/bitcoin/bips/blob/master/bip-0086.mediawiki): key derivation for single-key
 * P2TR outputs, `m / 86' / coin_type' / account' / change / address_index`, so that any BIP86 wallet
 * restored from the same mnemonic sees the same coins. This sits beside the keychain's own `8383'`
 * scheme (which never shares a path with it); `@superscalar/wallet` keeps its on-chain coins here.
 *
 * "internal_key: lift_x(derived_key); 32_byte_output_key: internal_key + int(HashTapTweak(bytes(internal_key)))G";
 * scriptPubKey `OP_1 <output_key>`.
 *
 * Does not: encode addresses (the wallet does, per network), scan for coins, or keep a gap limit.
 *
 * @module
 */
import { HARDENED_OFFSET as HARDENED, HDKey } from '@scure/bip32';
import { coinType, isNetwork, type Network } from '@superscalar/core';
import { curve, encodePoint, n as N, taggedHash } from '@superscalar/secp';
import { bytes, index, int } from './_assert.js';
import { bip86 } from './_taproot.js';
import { InvalidArgumentError } from './errors.js';
import { type MnemonicToSeedOptions, mnemonicToSeed } from './mnemonic.js';

function checkedCoinType(network: unknown, argument: string): 0 | 1 {
  if (!isNetwork(network))
    throw new InvalidArgumentError(
      argument,
      `expected mainnet, testnet4, signet or regtest, got ${String(network)}`,
    );
  return coinType(network);
}

/** The BIP43 purpose of BIP86: `86'`. */
export const BIP86_PURPOSE = 86;

const TEST_VERSIONS = { private: 0x04358394, public: 0x043587cf };
const MAIN_VERSIONS = { private: 0x0488ade4, public: 0x0488b21e };

/** `m/86'/coin'/account'/change/index` (coin 0 on mainnet, 1 on every test network). */
export function bip86Path(network: Network, account: number, change?: 0 | 1, addressIndex?: number): string {
  const base = `m/${BIP86_PURPOSE}'/${checkedCoinType(network, 'network')}'/${index(account, 'account')}'`;
  if (change === undefined) return base;
  int(change, 'change', 0, 1);
  return `${base}/${change}/${index(addressIndex, 'addressIndex')}`;
}

/** One BIP86 key: its path, internal key, output key, scriptPubKey and (from a private account) secrets. */
export interface Bip86Key {
  readonly path: string;
  /** 0 receive, 1 change. */
  readonly change: 0 | 1;
  readonly index: number;
  /** 33-byte compressed `derived_key`. */
  readonly publicKey: Uint8Array;
  /** 32-byte x-only internal key (`lift_x(derived_key)`). */
  readonly internalKey: Uint8Array;
  /** 32-byte x-only output key Q. */
  readonly outputKey: Uint8Array;
  /** `51 20 || Q` (34 bytes). */
  readonly scriptPubKey: Uint8Array;
}

/** A {@link Bip86Key} with its secrets. The caller owns (and may zero) both arrays. */
export interface Bip86SecretKey extends Bip86Key {
  /** 32-byte secret of `derived_key`. */
  readonly secretKey: Uint8Array;
  /** 32-byte secret of the output key Q (what a key-path spend signs with). */
  readonly tweakedSecretKey: Uint8Array;
}

/** Options of {@link Bip86Account.fromSeed}. */
export interface Bip86AccountOptions {
  readonly network: Network;
  /** The account (hardened); a watchtower beside a role takes an account of its own. Default 0. */
  readonly account?: number;
}

/**
 * One BIP86 account (`m/86'/coin'/account'`). Derives the receive (`change = 0`) and change
 * (`change = 1`) chains with unhardened steps, so {@link Bip86Account.publicOnly} (the account xpub)
 * derives every script without a secret.
 */
export class Bip86Account {
  readonly network: Network;
  readonly account: number;
  /** The account path, `m/86'/coin'/account'`. */
  readonly path: string;
  #node: HDKey;
  #chains: [HDKey, HDKey];

  private constructor(node: HDKey, network: Network, account: number) {
    this.network = network;
    this.account = account;
    this.path = bip86Path(network, account);
    this.#node = node;
    this.#chains = [node.deriveChild(0), node.deriveChild(1)];
  }

  /**
   * The account of a BIP32 seed (16 to 64 bytes; a BIP39 seed is 64).
   *
   * @throws {InvalidArgumentError} a seed of another length, an unknown network or a bad account.
   */
  static fromSeed(seed: Uint8Array, options: Bip86AccountOptions): Bip86Account {
    const s = bytes(seed, 'seed');
    if (s.length < 16 || s.length > 64)
      throw new InvalidArgumentError('seed', `expected 16 to 64 bytes, got ${s.length}`);
    const network = options?.network;
    const account = index(options?.account ?? 0, 'options.account');
    const path = bip86Path(network, account);
    const versions = network === 'mainnet' ? MAIN_VERSIONS : TEST_VERSIONS;
    const root = HDKey.fromMasterSeed(s, versions);
    const node = root.derive(path);
    root.wipePrivateData();
    s.fill(0);
    return new Bip86Account(node, network, account);
  }

  /** The account of a BIP39 mnemonic (checksum validated) and optional passphrase. */
  static fromMnemonic(mnemonic: string, options: Bip86AccountOptions & MnemonicToSeedOptions): Bip86Account {
    return Bip86Account.fromSeed(mnemonicToSeed(mnemonic, options), options);
  }

  /**
   * An account from its extended key (`xprv`/`xpub` on mainnet, `tprv`/`tpub` elsewhere) at depth 3.
   * From a public key it derives scripts only (`deriveSecret` throws).
   */
  static fromExtendedKey(key: string, options: Bip86AccountOptions): Bip86Account {
    const network = options?.network;
    const account = index(options?.account ?? 0, 'options.account');
    checkedCoinType(network, 'options.network');
    let node: HDKey;
    try {
      node = HDKey.fromExtendedKey(key, network === 'mainnet' ? MAIN_VERSIONS : TEST_VERSIONS);
    } catch (cause) {
      throw new InvalidArgumentError('key', 'not an extended key of this network', { cause });
    }
    if (node.depth !== 3 || node.index !== HARDENED + account)
      throw new InvalidArgumentError('key', `expected the key of ${bip86Path(network, account)}`);
    return new Bip86Account(node, network, account);
  }

  /** The account's extended public key (xpub/tpub): enough to watch every address. */
  get extendedPublicKey(): string {
    return this.#node.publicExtendedKey;
  }

  /** The account's extended private key (xprv/tprv); throws on a public-only account. */
  get extendedPrivateKey(): string {
    if (this.#node.privateKey === null)
      throw new InvalidArgumentError('account', 'a public-only account has no private key');
    return this.#node.privateExtendedKey;
  }

  /** True when the account can sign. */
  get hasSecrets(): boolean {
    return this.#node.privateKey !== null;
  }

  /** The same account without its secrets. */
  publicOnly(): Bip86Account {
    return Bip86Account.fromExtendedKey(this.extendedPublicKey, {
      network: this.network,
      account: this.account,
    });
  }

  #child(change: 0 | 1, addressIndex: number): HDKey {
    int(change, 'change', 0, 1);
    return this.#chains[change].deriveChild(index(addressIndex, 'addressIndex'));
  }

  /** The public key, output key and scriptPubKey at `change/addressIndex` (no secret needed). */
  deriveKey(change: 0 | 1, addressIndex: number): Bip86Key {
    const node = this.#child(change, addressIndex);
    const publicKey = Uint8Array.from(node.publicKey as Uint8Array);
    const internalKey = publicKey.slice(1);
    const outputKey = taprootOutputKey(internalKey);
    return {
      path: bip86Path(this.network, this.account, change, addressIndex),
      change,
      index: addressIndex,
      publicKey,
      internalKey,
      outputKey,
      scriptPubKey: p2tr(outputKey),
    };
  }

  /**
   * The key at `change/addressIndex` with its secret and the tweaked secret of its output key.
   *
   * @throws {InvalidArgumentError} a public-only account.
   */
  deriveSecret(change: 0 | 1, addressIndex: number): Bip86SecretKey {
    const node = this.#child(change, addressIndex);
    if (node.privateKey === null)
      throw new InvalidArgumentError('account', 'a public-only account cannot derive secrets');
    const secretKey = Uint8Array.from(node.privateKey);
    const publicKey = Uint8Array.from(node.publicKey as Uint8Array);
    const { outputKey, tweakedSecretKey } = bip86(secretKey);
    return {
      path: bip86Path(this.network, this.account, change, addressIndex),
      change,
      index: addressIndex,
      publicKey,
      internalKey: publicKey.slice(1),
      outputKey,
      scriptPubKey: p2tr(outputKey),
      secretKey,
      tweakedSecretKey,
    };
  }

  /** Zeroes the private key this account holds; later secret derivations throw. */
  wipe(): void {
    this.#node.wipePrivateData();
    this.#chains[0].wipePrivateData();
    this.#chains[1].wipePrivateData();
  }
}

function p2tr(q: Uint8Array): Uint8Array {
  const s = new Uint8Array(34);
  s[0] = 0x51;
  s[1] = 0x20;
  s.set(q, 2);
  return s;
}

/** `internal_key + int(HashTapTweak(bytes(internal_key)))G`, x-only. */
function taprootOutputKey(internalKey: Uint8Array): Uint8Array {
  const P = curve().decompress(Uint8Array.of(0x02, ...internalKey));
  if (P === undefined) throw new InvalidArgumentError('internalKey', 'not the x coordinate of a curve point');
  const t = BigInt(`0x${hex(taggedHash('TapTweak', internalKey))}`);
  if (t >= N) throw new InvalidArgumentError('addressIndex', 'TapTweak out of range');
  const Q = curve().mulAddG(P, 1n, t); // t is public
  if (Q.is0()) throw new InvalidArgumentError('addressIndex', 'tweaked key is infinity');
  return encodePoint(Q).slice(1);
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
