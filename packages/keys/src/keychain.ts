/**
 * The keychain: one documented derivation scheme (BIP32, https://github.com/bitcoin/bips/blob/master/bip-0032.mediawiki,
 * through @scure/bip32) for every key a SuperScalar participant uses, so no key is ever reused across
 * purposes, factories or channels (protocol brief §1, §9) and everything is recoverable from the
 * mnemonic plus the store (which records the factory and channel indices in use).
 *
 * Every secret is derived with hardened steps only. Paths, with `coin' = 0'` on mainnet and `1'` on
 * every test network:
 *
 * | purpose | path |
 * |---|---|
 * | node identity | `m/8383'/coin'/0'/0'` |
 * | factory signing key | `m/8383'/coin'/1'/factory'` |
 * | L-stock shachain seed (LSP) | `m/8383'/coin'/2'/factory'` |
 * | close address key (P2TR) | `m/8383'/coin'/3'/factory'` |
 * | channel revocation basepoint | `m/8383'/coin'/4'/factory'/channel'/0'` |
 * | channel payment basepoint | `m/8383'/coin'/4'/factory'/channel'/1'` |
 * | channel delayed-payment basepoint | `m/8383'/coin'/4'/factory'/channel'/2'` |
 * | channel HTLC basepoint | `m/8383'/coin'/4'/factory'/channel'/3'` |
 * | channel shachain seed | `m/8383'/coin'/4'/factory'/channel'/4'` |
 * | store-sealing key | `HKDF-SHA256(ikm = seed, salt = "superscalar-ts/store-sealing", info = "v<version>")` |
 *
 * A shachain seed is the 32-byte private key of its node (a uniformly random 32-byte string either way).
 *
 * @module
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { HARDENED_OFFSET as HARDENED, HDKey } from '@scure/bip32';
import { coinType, isNetwork, NETWORKS, type Network } from '@superscalar/core';
import { bytes, index, int } from './_assert.js';
import { bip86 } from './_taproot.js';
import { InvalidArgumentError, InvalidExtendedKeyError, KeychainWipedError } from './errors.js';
import { type MnemonicToSeedOptions, mnemonicToSeed } from './mnemonic.js';

/** The BIP43 purpose number of the scheme: `8383'` (ASCII "SS"). */
export const PURPOSE = 8383;
/** The current (and only) version of the store-sealing key derivation. */
export const STORE_SEALING_VERSION = 1;

/** What a derived key is for; each has its own branch of the tree. */
export type KeyPurpose =
  | 'node-identity'
  | 'factory'
  | 'lstock-shachain'
  | 'close-address'
  | 'channel-revocation'
  | 'channel-payment'
  | 'channel-delayed-payment'
  | 'channel-htlc'
  | 'channel-shachain';

const BRANCH: Record<KeyPurpose, readonly [number, number?]> = {
  'node-identity': [0],
  factory: [1],
  'lstock-shachain': [2],
  'close-address': [3],
  'channel-revocation': [4, 0],
  'channel-payment': [4, 1],
  'channel-delayed-payment': [4, 2],
  'channel-htlc': [4, 3],
  'channel-shachain': [4, 4],
};

/** Every purpose, in branch order. */
export const KEY_PURPOSES: readonly KeyPurpose[] = Object.keys(BRANCH) as KeyPurpose[];

/** Indices a purpose needs: none, a factory, or a factory and a channel. */
export interface PathIndices {
  /** The participant's own factory counter (0, 1, 2, … in the order it joined factories). */
  readonly factoryIndex?: number;
  /** The channel's index within that factory (the participant's own numbering). */
  readonly channelIndex?: number;
}

/** Core's BIP44 coin type of `network`, after checking that it names a network. */
function checkedCoinType(network: Network): 0 | 1 {
  if (!isNetwork(network))
    throw new InvalidArgumentError('network', `expected one of ${NETWORKS.join(', ')}`);
  return coinType(network);
}

/**
 * The derivation path (all steps hardened) of a purpose, as a string like `m/8383'/0'/1'/7'`.
 *
 * @throws {InvalidArgumentError} a missing or out-of-range index (0..2^31−1), or one given that the
 *   purpose does not take.
 */
export function derivationPath(purpose: KeyPurpose, network: Network, indices: PathIndices = {}): string {
  const branch = BRANCH[purpose];
  if (branch === undefined) throw new InvalidArgumentError('purpose', `unknown purpose ${String(purpose)}`);
  const steps = [PURPOSE, checkedCoinType(network), branch[0]];
  if (typeof indices !== 'object' || indices === null)
    throw new InvalidArgumentError('indices', 'must be an object ({ factoryIndex?, channelIndex? })');
  const needsFactory = purpose !== 'node-identity';
  const needsChannel = branch[1] !== undefined;
  if (needsFactory) steps.push(index(indices.factoryIndex, 'factoryIndex'));
  else if (indices.factoryIndex !== undefined)
    throw new InvalidArgumentError('factoryIndex', `${purpose} takes no factory index`);
  else steps.push(0);
  if (needsChannel) steps.push(index(indices.channelIndex, 'channelIndex'), branch[1] as number);
  else if (indices.channelIndex !== undefined)
    throw new InvalidArgumentError('channelIndex', `${purpose} takes no channel index`);
  return `m/${steps.map((s) => `${s}'`).join('/')}`;
}

/** A derived secp256k1 key pair. The caller owns (and may zero) `secretKey`. */
export interface DerivedKey {
  /** What the key is for. */
  readonly purpose: KeyPurpose;
  /** Its derivation path. */
  readonly path: string;
  /** 32-byte secret key. */
  readonly secretKey: Uint8Array;
  /** 33-byte compressed public key. */
  readonly publicKey: Uint8Array;
  /** 32-byte x-only public key (BIP340). */
  readonly xOnlyPublicKey: Uint8Array;
}

/** A derived 32-byte secret that is not used as a key (a shachain seed). */
export interface DerivedSecret {
  /** What the secret is for. */
  readonly purpose: KeyPurpose;
  /** Its derivation path. */
  readonly path: string;
  /** 32 secret bytes. */
  readonly secret: Uint8Array;
}

/**
 * A factory's close-address key and its BIP86 key-path-only P2TR output (brief §1: "an output with no
 * script tree uses the BIP86 tweak").
 */
export interface CloseAddressKey extends DerivedKey {
  /** Tweaked output key Q = P + H_TapTweak(P)·G, x-only (32 bytes). */
  readonly outputKey: Uint8Array;
  /** `OP_1 <Q>`: `51 20 || Q` (34 bytes). */
  readonly scriptPubKey: Uint8Array;
  /** The secret key for Q (what a key-path spend signs with). */
  readonly tweakedSecretKey: Uint8Array;
}

/** The four basepoints and the shachain seed of one channel. */
export interface ChannelKeys {
  readonly revocation: DerivedKey;
  readonly payment: DerivedKey;
  readonly delayedPayment: DerivedKey;
  readonly htlc: DerivedKey;
  /** The seed of this channel's per-commitment secrets (BOLT 3 shachain). */
  readonly shachainSeed: DerivedSecret;
}

/** Options of {@link Keychain.fromSeed}. */
export interface KeychainOptions {
  /** The network to derive for (it selects the coin type). */
  readonly network: Network;
}

function toDerived(purpose: KeyPurpose, path: string, node: HDKey): DerivedKey {
  const sk = node.privateKey;
  const pk = node.publicKey;
  if (sk === null || pk === null) throw new InvalidArgumentError('path', 'derived node has no private key');
  return {
    purpose,
    path,
    secretKey: Uint8Array.from(sk),
    publicKey: Uint8Array.from(pk),
    xOnlyPublicKey: pk.slice(1),
  };
}

/**
 * Derives every SuperScalar key of one participant from a BIP39 (or any BIP32) seed. Pure: no I/O, no
 * state beyond the seed. Each call derives afresh and returns new arrays the caller owns.
 */
export class Keychain {
  /** The network the keychain derives for. */
  readonly network: Network;
  /** BIP32 fingerprint of the master key (4 bytes as an unsigned number): names the seed, reveals nothing. */
  readonly fingerprint: number;
  #seed: Uint8Array;
  #root: HDKey | undefined;
  /** `m/8383'/coin'`, derived once: every purpose hangs below it. */
  #account: HDKey | undefined;
  #prefix: string;

  private constructor(seed: Uint8Array, network: Network) {
    checkedCoinType(network);
    this.network = network;
    this.#seed = seed;
    this.#root = HDKey.fromMasterSeed(seed);
    this.fingerprint = this.#root.fingerprint >>> 0;
    this.#prefix = `m/${PURPOSE}'/${checkedCoinType(network)}'`;
    this.#account = this.#root.derive(this.#prefix);
  }

  /**
   * A keychain from a BIP32 seed (16 to 64 bytes; a BIP39 seed is 64). The seed is copied.
   *
   * @throws {InvalidArgumentError} a seed of another length or an unknown network.
   */
  static fromSeed(seed: Uint8Array, options: KeychainOptions): Keychain {
    const s = bytes(seed, 'seed');
    if (s.length < 16 || s.length > 64)
      throw new InvalidArgumentError('seed', `expected 16 to 64 bytes, got ${s.length}`);
    return new Keychain(s, options?.network);
  }

  /**
   * A keychain from a BIP39 mnemonic (checksum validated) and optional BIP39 passphrase.
   *
   * @throws {InvalidMnemonicError} an invalid mnemonic.
   */
  static fromMnemonic(mnemonic: string, options: KeychainOptions & MnemonicToSeedOptions): Keychain {
    const seed = mnemonicToSeed(mnemonic, options);
    return new Keychain(seed, options?.network);
  }

  #node(path: string): HDKey {
    if (this.#account === undefined) throw new KeychainWipedError();
    // Every scheme path starts with the account prefix (derivationPath builds it so).
    return this.#account.derive(`m${path.slice(this.#prefix.length)}`);
  }

  #key(purpose: KeyPurpose, indices?: PathIndices): DerivedKey {
    const path = derivationPath(purpose, this.network, indices);
    return toDerived(purpose, path, this.#node(path));
  }

  #secret(purpose: KeyPurpose, indices: PathIndices): DerivedSecret {
    const { path, secretKey } = this.#key(purpose, indices);
    return { purpose, path, secret: secretKey };
  }

  /** The node identity key: the LSP's Noise static key; a client's key that signs its `init` proof. */
  nodeIdentity(): DerivedKey {
    return this.#key('node-identity');
  }

  /** The participant's MuSig2 signing key for one factory (handed over only for that factory, §9). */
  factoryKey(factoryIndex: number): DerivedKey {
    return this.#key('factory', { factoryIndex });
  }

  /** The LSP's per-factory L-stock shachain seed (brief §5.3: `s_c` at index `2^48 − 1 − c`). */
  lStockShachainSeed(factoryIndex: number): DerivedSecret {
    return this.#secret('lstock-shachain', { factoryIndex });
  }

  /** The per-factory close address: key, BIP86 output key, scriptPubKey and tweaked secret key. */
  closeAddress(factoryIndex: number): CloseAddressKey {
    const k = this.#key('close-address', { factoryIndex });
    const { outputKey, tweakedSecretKey } = bip86(k.secretKey);
    const scriptPubKey = new Uint8Array(34);
    scriptPubKey[0] = 0x51;
    scriptPubKey[1] = 0x20;
    scriptPubKey.set(outputKey, 2);
    return { ...k, outputKey, scriptPubKey, tweakedSecretKey };
  }

  /** One channel's basepoints (revocation, payment, delayed payment, HTLC) and shachain seed. */
  channelKeys(factoryIndex: number, channelIndex: number): ChannelKeys {
    const i = { factoryIndex, channelIndex };
    const base = derivationPath('channel-revocation', this.network, i);
    const channelPath = base.slice(0, base.lastIndexOf('/'));
    const channel = this.#node(channelPath);
    const child = (purpose: KeyPurpose): DerivedKey => {
      const path = derivationPath(purpose, this.network, i);
      const last = BRANCH[purpose][1] as number;
      return toDerived(purpose, path, channel.deriveChild(HARDENED + last));
    };
    const seed = child('channel-shachain');
    return {
      revocation: child('channel-revocation'),
      payment: child('channel-payment'),
      delayedPayment: child('channel-delayed-payment'),
      htlc: child('channel-htlc'),
      shachainSeed: { purpose: seed.purpose, path: seed.path, secret: seed.secretKey },
    };
  }

  /**
   * The 32-byte key that seals secrets at rest in the store (`@superscalar/persist`):
   * `HKDF-SHA256(ikm = seed, salt = "superscalar-ts/store-sealing", info = "v<version>", 32)`.
   * Versioned so a future scheme can coexist with stores sealed under an older one.
   */
  storeSealingKey(version: number = STORE_SEALING_VERSION): Uint8Array {
    int(version, 'version', 1, STORE_SEALING_VERSION);
    if (this.#root === undefined) throw new KeychainWipedError();
    const enc = new TextEncoder();
    return hkdf(
      sha256,
      this.#seed,
      enc.encode('superscalar-ts/store-sealing'),
      enc.encode(`v${version}`),
      32,
    );
  }

  /** Zeroes the seed and the master key this keychain holds; every later derivation throws. */
  wipe(): void {
    this.#root?.wipePrivateData();
    this.#account?.wipePrivateData();
    this.#root = undefined;
    this.#account = undefined;
    this.#seed.fill(0);
  }
}

/** A BIP32 node as {@link bip32Derive} or {@link parseExtendedKey} returns it. */
export interface ExtendedKeyInfo {
  readonly depth: number;
  readonly index: number;
  readonly parentFingerprint: number;
  readonly chainCode: Uint8Array;
  /** 33-byte compressed public key. */
  readonly publicKey: Uint8Array;
  /** 32-byte secret key, or undefined for a public extended key. */
  readonly secretKey: Uint8Array | undefined;
  /** Base58Check xprv/tprv, or undefined for a public extended key. */
  readonly privateExtendedKey: string | undefined;
  /** Base58Check xpub/tpub. */
  readonly publicExtendedKey: string;
}

const TEST_VERSIONS = { private: 0x04358394, public: 0x043587cf };
const MAIN_VERSIONS = { private: 0x0488ade4, public: 0x0488b21e };

function info(node: HDKey): ExtendedKeyInfo {
  const sk = node.privateKey;
  return {
    depth: node.depth,
    index: node.index,
    parentFingerprint: node.parentFingerprint >>> 0,
    chainCode: Uint8Array.from(node.chainCode as Uint8Array),
    publicKey: Uint8Array.from(node.publicKey as Uint8Array),
    secretKey: sk === null ? undefined : Uint8Array.from(sk),
    privateExtendedKey: sk === null ? undefined : node.privateExtendedKey,
    publicExtendedKey: node.publicExtendedKey,
  };
}

/**
 * Plain BIP32: derives `path` (e.g. `m/0'/1/2'`) from a seed. The primitive under the scheme, exposed
 * for interoperability and for the BIP32 vectors; SuperScalar keys come from {@link Keychain}.
 *
 * @throws {InvalidArgumentError} a seed outside 16..64 bytes or a malformed path.
 */
export function bip32Derive(seed: Uint8Array, path: string, network: Network = 'mainnet'): ExtendedKeyInfo {
  const s = bytes(seed, 'seed');
  if (s.length < 16 || s.length > 64)
    throw new InvalidArgumentError('seed', `expected 16 to 64 bytes, got ${s.length}`);
  const versions = checkedCoinType(network) === 0 ? MAIN_VERSIONS : TEST_VERSIONS;
  try {
    return info(HDKey.fromMasterSeed(s, versions).derive(path));
  } catch (e) {
    throw new InvalidArgumentError('path', `cannot derive ${JSON.stringify(path)}`, { cause: e });
  }
}

/**
 * Decodes and validates a Base58Check extended key (xprv/xpub on mainnet, tprv/tpub otherwise).
 *
 * @throws {InvalidExtendedKeyError} a bad checksum, version, length, key or depth/index combination.
 */
export function decodeExtendedKey(key: string, network: Network = 'mainnet'): ExtendedKeyInfo {
  if (typeof key !== 'string') throw new InvalidArgumentError('key', 'expected a string');
  const versions = checkedCoinType(network) === 0 ? MAIN_VERSIONS : TEST_VERSIONS;
  try {
    return info(HDKey.fromExtendedKey(key, versions));
  } catch (e) {
    throw new InvalidExtendedKeyError((e as Error).message, { cause: e });
  }
}
