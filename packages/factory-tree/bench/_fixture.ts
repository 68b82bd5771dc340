// Fixed, reproducible factory inputs shared by the benchmark, the vector generator and the signing
// tests: participant p (0 = LSP, i + 1 = clients[i]) has secret key p + 1 (32 bytes big-endian); its
// close address is the BIP86-style P2TR of the key 2^32 + p + 1 (x-only, untweaked: test data only);
// every client has capacity 100,000 and balance 50,000 sats; the funding outpoint is fixed and its
// amount is N·150,000 sats (the default L-stock split takes the rest); the L-stock shachain seed is 32
// bytes of 0x5c. Regtest with brief §2's regtest defaults unless a shape is given.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { type ProposalInput, poisonHashesFromSeed, shapeFigures } from '../src/index.js';

/** A tree shape: leaf arity, interior fan-outs and static levels (brief §2). */
export interface Shape {
  readonly leafArity: 1 | 2;
  readonly levelArity: readonly number[];
  readonly staticLevels: number;
}

/** The C implementation's shape (brief §13): one client per leaf, binary. */
export const C_SHAPE: Shape = { leafArity: 1, levelArity: [2], staticLevels: 0 };
/** §2's default shape. */
export const DEFAULT_SHAPE: Shape = { leafArity: 2, levelArity: [2], staticLevels: 0 };

export const PROPOSAL_HEIGHT = 200;
export const CAPACITY = 100_000n;
export const BALANCE = 50_000n;
export const LSTOCK_SEED = new Uint8Array(32).fill(0x5c);
/** Display-order funding txid: SHA256("superscalar-ts/factory-tree/vectors/funding"). */
export const FUNDING_TXID = hex(
  sha256(new TextEncoder().encode('superscalar-ts/factory-tree/vectors/funding')),
);

/** Secret key of participant p: the integer p + 1, 32 bytes big-endian. */
export function secretKey(p: number): Uint8Array {
  return be32(BigInt(p + 1));
}

/** The close address (P2TR scriptPubKey) of participant p. */
export function closeScript(p: number): Uint8Array {
  const x = secp256k1.getPublicKey(be32(2n ** 32n + BigInt(p + 1)), true).slice(1);
  const s = new Uint8Array(34);
  s[0] = 0x51;
  s[1] = 0x20;
  s.set(x, 2);
  return s;
}

/** The proposal input for N clients on `shape` (regtest defaults for everything else). */
export function fixtureInput(N: number, shape: Shape = DEFAULT_SHAPE): ProposalInput {
  const keys = Array.from({ length: N + 1 }, (_, p) => secp256k1.getPublicKey(secretKey(p), true));
  const clients = keys.slice(1).map((key, i) => ({
    key,
    closeScript: closeScript(i + 1),
    capacity: CAPACITY,
    balance: BALANCE,
  }));
  const leaves = shapeFigures({ clients, dw: { K: 4, S: 10 }, ...shape }).leaves;
  return {
    network: 'regtest',
    proposalHeight: PROPOSAL_HEIGHT,
    lsp: { key: keys[0] as Uint8Array, closeScript: closeScript(0) },
    clients,
    leafArity: shape.leafArity,
    levelArity: shape.levelArity,
    staticLevels: shape.staticLevels,
    funding: { txid: FUNDING_TXID, vout: 0, amount: BigInt(N) * 150_000n },
    poisonHashes: poisonHashesFromSeed(LSTOCK_SEED, leaves),
  };
}

/** Every participant's secret key, LSP first. */
export function fixtureSecretKeys(N: number): Uint8Array[] {
  return Array.from({ length: N + 1 }, (_, p) => secretKey(p));
}

function be32(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
