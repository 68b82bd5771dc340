// 5-bit words (internal): BIP 173's `convertbits`, and big-endian unsigned integers in words.

/**
 * Bytes to 5-bit words, the last word padded with zero bits (BIP 173 `convertbits(data, 8, 5, True)`).
 */
export function bytesToWords(bytes: Uint8Array): number[] {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = ((acc << 8) | b) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push((acc >> bits) & 31);
    }
  }
  if (bits > 0) out.push((acc << (5 - bits)) & 31);
  return out;
}

/**
 * 5-bit words to bytes. `pad`: the last byte is completed with zero bits (how BOLT 11 builds the
 * signed data). Otherwise BIP 173 `convertbits(data, 5, 8, False)`: fewer than 5 bits may be left
 * over and they must be zero, else `undefined` (so each value has exactly one encoding).
 */
export function wordsToBytes(words: ArrayLike<number>, pad: boolean): Uint8Array | undefined {
  const out = new Uint8Array(pad ? Math.ceil((words.length * 5) / 8) : Math.floor((words.length * 5) / 8));
  let acc = 0;
  let bits = 0;
  let at = 0;
  for (let i = 0; i < words.length; i++) {
    acc = ((acc << 5) | (words[i] as number)) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (acc >> bits) & 0xff;
    }
  }
  if (pad) {
    if (bits > 0) out[at] = (acc << (8 - bits)) & 0xff;
    return out;
  }
  if (bits >= 5 || (acc & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}

/** A non-negative integer as the fewest big-endian 5-bit words (none for 0). */
export function uintToWords(value: bigint | number): number[] {
  let v = BigInt(value);
  const out: number[] = [];
  while (v > 0n) {
    out.push(Number(v & 31n));
    v >>= 5n;
  }
  return out.reverse();
}

/** Big-endian 5-bit words as an integer. */
export function wordsToUint(words: ArrayLike<number>): bigint {
  let v = 0n;
  for (let i = 0; i < words.length; i++) v = (v << 5n) | BigInt(words[i] as number);
  return v;
}

/** A non-negative integer as exactly `count` big-endian 5-bit words (the caller checks the range). */
export function uintToFixedWords(value: number, count: number): number[] {
  const out = new Array<number>(count);
  let v = value;
  for (let i = count - 1; i >= 0; i--) {
    out[i] = v % 32;
    v = Math.floor(v / 32);
  }
  return out;
}
