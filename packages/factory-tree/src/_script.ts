// Internal: the opcodes and pushes of the tree's tapscripts, and BIP68's block-based relative lock.

export const OP_0 = 0x00;
export const OP_1 = 0x51;
export const OP_DROP = 0x75;
export const OP_EQUALVERIFY = 0x88;
export const OP_SIZE = 0x82;
export const OP_SHA256 = 0xa8;
export const OP_CHECKSIG = 0xac;
export const OP_CHECKLOCKTIMEVERIFY = 0xb1;
export const OP_CHECKSEQUENCEVERIFY = 0xb2;

/** Minimal push of a non-negative script number (CScriptNum, minimal encoding). */
export function pushNum(n: number): Uint8Array {
  if (n === 0) return Uint8Array.of(OP_0);
  if (n >= 1 && n <= 16) return Uint8Array.of(0x50 + n);
  const bytes: number[] = [];
  let v = n;
  while (v > 0) {
    bytes.push(v & 0xff);
    v = Math.floor(v / 256);
  }
  if (((bytes[bytes.length - 1] as number) & 0x80) !== 0) bytes.push(0);
  return Uint8Array.of(bytes.length, ...bytes);
}

/** Direct push of up to 75 bytes. */
export function pushData(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length + 1);
  out[0] = b.length;
  out.set(b, 1);
  return out;
}

/** BIP68: the block-based relative lock of an nSequence, or 0 when disabled (bit 31) or time-based. */
export function relativeLockBlocks(sequence: number): number {
  if ((sequence & 0x80000000) !== 0) return 0;
  if ((sequence & 0x00400000) !== 0) return 0;
  return sequence & 0xffff;
}
