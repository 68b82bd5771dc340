// The BOLT 11 examples (vectors/bolt11/examples.json) and small helpers to read them.
import { sha256 } from '@noble/hashes/sha2.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { bech32, bech32m, createBase58check } from '@scure/base';
import { vectorJson } from '../../../test-utils/index.js';

export interface ValidExample {
  id: string;
  invoice: string;
  prefix: string;
  amount: string | null;
  timestamp: number;
  paymentHash: string;
  paymentSecret: string;
  description?: string;
  descriptionHash?: string;
  descriptionHashPreimage?: string;
  expiry?: number;
  minFinalCltvExpiryDelta?: number;
  fallbacks?: { version: number; address: string }[];
  routeHints?: {
    pubkey: string;
    shortChannelId: string;
    feeBaseMsat: number;
    feeProportionalMillionths: number;
    cltvExpiryDelta: number;
  }[][];
  features: number[];
  metadata?: string;
  fieldOrder: string[];
  signing?: { signature: string; recoveryId: number; signingData: string; signingHash: string };
}
export interface InvalidExample {
  id: string;
  fault: string;
  invoice: string;
  specListsAsValid?: boolean;
}
export const examples = vectorJson<{
  provenance: { repository: string; commit: string; file: string };
  privateKey: string;
  payeeNodeId: string;
  valid: ValidExample[];
  invalid: InvalidExample[];
}>('bolt11/examples.json');

export const privateKey = (): Uint8Array => hexToBytes(examples.privateKey);
export const payeeNodeId = hexToBytes(examples.payeeNodeId);

/** `BLOCKxTXxOUT` as the 8-byte short_channel_id (3 + 3 + 2 bytes, big-endian). */
export function scidBytes(text: string): Uint8Array {
  const [block, tx, out] = text.split('x').map(Number) as [number, number, number];
  const b = new Uint8Array(8);
  b.set([
    block >> 16,
    (block >> 8) & 255,
    block & 255,
    tx >> 16,
    (tx >> 8) & 255,
    tx & 255,
    out >> 8,
    out & 255,
  ]);
  return b;
}

const base58check = createBase58check(sha256);
// Base58 version bytes: P2PKH, P2SH on mainnet and on the test networks.
const BASE58_VERSION: Record<string, Record<number, number>> = {
  lnbc: { 17: 0x00, 18: 0x05 },
  lntb: { 17: 0x6f, 18: 0xc4 },
};

/** The `f` program an address stands for (decoded independently of the package under test). */
export function fallbackProgram(prefix: string, version: number, address: string): Uint8Array {
  if (version === 17 || version === 18) {
    const raw = base58check.decode(address);
    if (raw.length !== 21 || raw[0] !== BASE58_VERSION[prefix]?.[version]) throw new Error(`bad ${address}`);
    return raw.slice(1);
  }
  const coder = version === 0 ? bech32 : bech32m;
  const { words } = coder.decode(address as `${string}1${string}`);
  if (words[0] !== version) throw new Error(`bad ${address}`);
  return coder.fromWords(words.slice(1));
}

/** The msat of each HRP amount the examples use, as the spec states or implies. */
export const AMOUNT_MSAT: Record<string, bigint> = {
  '2500u': 250_000_000n,
  '20m': 2_000_000_000n,
  '25m': 2_500_000_000n,
  '10m': 1_000_000_000n,
  '9678785340p': 967_878_534n, // "9678785340 pico-bitcoin = 967878534 milli satoshi"
};
