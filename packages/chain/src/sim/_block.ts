// Internal block helpers of SimChain: regtest subsidy, BIP34 coinbase, merkle root, header hash.
import { sha256 } from '@noble/hashes/sha2.js';
import type { Tx } from '../tx/index.js';
import { createTx, toDisplayHex, txid } from '../tx/index.js';

const sha256d = (b: Uint8Array): Uint8Array => sha256(sha256(b));

/** Regtest halves the 50 BTC subsidy every 150 blocks. */
export const REGTEST_HALVING_INTERVAL = 150;
/** Coinbase outputs may be spent only 100 blocks later (COINBASE_MATURITY). */
export const COINBASE_MATURITY = 100;
/** Regtest's proof-of-work limit in compact form (no work is done in SimChain). */
const REGTEST_BITS = 0x207fffff;

/** Block subsidy at `height` on regtest. */
export function subsidy(height: number): bigint {
  const halvings = Math.floor(height / REGTEST_HALVING_INTERVAL);
  if (halvings >= 64) return 0n;
  return (50n * 100_000_000n) >> BigInt(halvings);
}

/** Minimal CScriptNum push of a non-negative integer (BIP34 height). */
function pushNumber(n: number): Uint8Array {
  if (n === 0) return Uint8Array.of(0x00);
  if (n >= 1 && n <= 16) return Uint8Array.of(0x50 + n);
  const bytes: number[] = [];
  let v = n;
  while (v > 0) {
    bytes.push(v & 0xff);
    v = Math.floor(v / 256);
  }
  if ((bytes[bytes.length - 1]! & 0x80) !== 0) bytes.push(0);
  return Uint8Array.from([bytes.length, ...bytes]);
}

/**
 * A coinbase for `height` paying `value` to `script`. The scriptSig is the BIP34 height push and a
 * 4-byte extra nonce, so two blocks at one height (a reorg) never share a coinbase txid.
 */
export function makeCoinbase(height: number, value: bigint, script: Uint8Array, extraNonce: number): Tx {
  const h = pushNumber(height);
  const nonce = Uint8Array.of(
    4,
    extraNonce & 0xff,
    (extraNonce >>> 8) & 0xff,
    (extraNonce >>> 16) & 0xff,
    extraNonce >>> 24,
  );
  const scriptSig = new Uint8Array(h.length + nonce.length);
  scriptSig.set(h, 0);
  scriptSig.set(nonce, h.length);
  return createTx({
    version: 2,
    inputs: [{ prevTxid: new Uint8Array(32), vout: 0xffffffff, scriptSig, sequence: 0xffffffff }],
    outputs: [{ value, script }],
    locktime: 0,
  });
}

/** Merkle root of internal-order txids (Core's `ComputeMerkleRoot`, duplicating the last odd node). */
export function merkleRoot(txids: readonly Uint8Array[]): Uint8Array {
  if (txids.length === 0) return new Uint8Array(32);
  let level: Uint8Array[] = txids.map((t) => Uint8Array.from(t));
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const a = level[i]!;
      const b = level[i + 1] ?? a;
      const both = new Uint8Array(64);
      both.set(a, 0);
      both.set(b, 32);
      next.push(sha256d(both));
    }
    level = next;
  }
  return level[0]!;
}

/** Display-hex hash of an 80-byte header (version 0x20000000, regtest bits, nonce 0). */
export function headerHash(prevHashHex: string, root: Uint8Array, time: number): string {
  const h = new Uint8Array(80);
  const dv = new DataView(h.buffer);
  dv.setUint32(0, 0x20000000, true);
  for (let i = 0; i < 32; i++) h[4 + i] = Number.parseInt(prevHashHex.slice(62 - i * 2, 64 - i * 2), 16);
  h.set(root, 36);
  dv.setUint32(68, time >>> 0, true);
  dv.setUint32(72, REGTEST_BITS, true);
  dv.setUint32(76, 0, true);
  return toDisplayHex(sha256d(h));
}

/** Internal-order txid bytes of a transaction. */
export { txid as txidBytes };
