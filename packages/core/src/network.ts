/** The Bitcoin networks the project runs on. `testnet3` is not supported (testnet4 replaced it). */
export type Network = 'mainnet' | 'testnet4' | 'signet' | 'regtest';

/** Every {@link Network}, in a fixed order. */
export const NETWORKS: readonly Network[] = Object.freeze(['mainnet', 'testnet4', 'signet', 'regtest']);

/** True when `x` names a {@link Network}. */
export function isNetwork(x: unknown): x is Network {
  return typeof x === 'string' && (NETWORKS as readonly string[]).includes(x);
}

/** The bech32/bech32m human-readable part of the network's segwit addresses. */
export function segwitHrp(network: Network): 'bc' | 'tb' | 'bcrt' {
  return network === 'mainnet' ? 'bc' : network === 'regtest' ? 'bcrt' : 'tb';
}

/** BIP44 coin type: 0 on mainnet, 1 on every test network. */
export function coinType(network: Network): 0 | 1 {
  return network === 'mainnet' ? 0 : 1;
}
