/**
 * The keychain's derivations, memoised (shared by both role machines). BIP32 derivations cost milliseconds each and the
 * machine asks for the same factory's keys at every step; the keys are the keychain's to give anyway.
 *
 * @module
 */
import type { ChannelKeys, CloseAddressKey, DerivedKey, Keychain } from '@superscalar/keys';

export class KeyCache {
  readonly #keychain: Keychain;
  readonly #factory = new Map<number, DerivedKey>();
  readonly #close = new Map<number, CloseAddressKey>();
  readonly #channel = new Map<string, ChannelKeys>();
  #node: DerivedKey | undefined;

  constructor(keychain: Keychain) {
    this.#keychain = keychain;
  }

  nodeIdentity(): DerivedKey {
    this.#node ??= this.#keychain.nodeIdentity();
    return this.#node;
  }

  factoryKey(index: number): DerivedKey {
    let k = this.#factory.get(index);
    if (k === undefined) {
      k = this.#keychain.factoryKey(index);
      this.#factory.set(index, k);
    }
    return k;
  }

  closeAddress(index: number): CloseAddressKey {
    let k = this.#close.get(index);
    if (k === undefined) {
      k = this.#keychain.closeAddress(index);
      this.#close.set(index, k);
    }
    return k;
  }

  channelKeys(index: number, channel: number): ChannelKeys {
    const id = `${index}/${channel}`;
    let k = this.#channel.get(id);
    if (k === undefined) {
      k = this.#keychain.channelKeys(index, channel);
      this.#channel.set(id, k);
    }
    return k;
  }

  lStockShachainSeed(index: number) {
    return this.#keychain.lStockShachainSeed(index);
  }
}
