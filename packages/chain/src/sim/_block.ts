// Internal block helpers of SimChain: regtest subsidy, BIP34 coinbase, merkle root, header hash.
import { sha256 } from '@noble/hashes/sha2.js';
import type { Tx } from '../tx/index.js';
import { createTx, toDisplayHex, txid, wtxid } from '../tx/index.js';

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
 * 4-byte extra nonce, so two blocks at one height (a reorg) never share a coinbase txid. With
 * `commitment` (a mined block's witness commitment script) it carries that output and the witness
 * reserved value, as every block Core mines does.
 */
export function makeCoinbase(
  height: number,
  value: bigint,
  script: Uint8Array,
  extraNonce: number,
  commitment?: Uint8Array,
): Tx {
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
    inputs: [
      {
        prevTxid: new Uint8Array(32),
        vout: 0xffffffff,
        scriptSig,
        sequence: 0xffffffff,
        // BIP141: the witness reserved value, 32 zero bytes, committed to with the witness root.
        ...(commitment === undefined ? {} : { witness: [new Uint8Array(32)] }),
      },
    ],
    outputs:
      commitment === undefined
        ? [{ value, script }]
        : [
            { value, script },
            { value: 0n, script: commitment },
          ],
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

/** The 80-byte header SimChain mines: version 0x20000000, regtest bits, nonce 0. */
export function headerBytes(prevHashHex: string, root: Uint8Array, time: number): Uint8Array {
  const h = new Uint8Array(80);
  const dv = new DataView(h.buffer);
  dv.setUint32(0, 0x20000000, true);
  for (let i = 0; i < 32; i++) h[4 + i] = Number.parseInt(prevHashHex.slice(62 - i * 2, 64 - i * 2), 16);
  h.set(root, 36);
  dv.setUint32(68, time >>> 0, true);
  dv.setUint32(72, REGTEST_BITS, true);
  dv.setUint32(76, 0, true);
  return h;
}

/** Display-hex hash of the header {@link headerBytes} builds. */
export function headerHash(prevHashHex: string, root: Uint8Array, time: number): string {
  return toDisplayHex(sha256d(headerBytes(prevHashHex, root, time)));
}

/**
 * The BIP141 witness commitment output script of a block whose non-coinbase transactions are `txs`:
 * `OP_RETURN 0x24 aa21a9ed || SHA256d(witness merkle root || reserved)`, the coinbase's wtxid counting
 * as zero and the reserved value 32 zero bytes (the coinbase's witness), as Core's miner builds it.
 */
export function witnessCommitmentScript(txs: readonly Tx[]): Uint8Array {
  const root = merkleRoot([new Uint8Array(32), ...txs.map((t) => wtxid(t))]);
  const both = new Uint8Array(64);
  both.set(root, 0);
  const script = new Uint8Array(38);
  script.set([0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed], 0);
  script.set(sha256d(both), 6);
  return script;
}

/** Internal-order txid bytes of a transaction. */
export { txid as txidBytes };
