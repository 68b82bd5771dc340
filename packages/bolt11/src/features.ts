/**
 * Invoice feature bits (BOLT 11 "Feature Bits", BOLT 9): the `9` field is a big-endian bit field,
 * bit 0 the least significant; features come in pairs, the even bit compulsory, the odd optional
 * ("it's ok to be odd").
 *
 * @module
 */

/**
 * The even bit of each feature BOLT 9 presents in invoices (context `9`, plus the ASSUMED
 * `var_onion_optin` and `payment_secret` that invoices still set), at lightning/bolts a3772650.
 * The odd bit is one more. A decoded invoice with any other even bit set is refused
 * (BOLT 11: "if the 9 field contains unknown even bits that are non-zero: MUST fail the payment").
 */
export const INVOICE_FEATURES = Object.freeze({
  varOnionOptin: 8,
  paymentSecret: 14,
  basicMpp: 16,
  routeBlinding: 24,
  attributionData: 36,
  paymentMetadata: 48,
} as const);

const KNOWN_EVEN: ReadonlySet<number> = new Set(Object.values(INVOICE_FEATURES));

/** @internal True when an even bit is one this package knows. */
export function isKnownEvenFeature(bit: number): boolean {
  return KNOWN_EVEN.has(bit);
}

/** @internal The minimal big-endian words of a set of bits (the caller checks they are distinct). */
export function featureWords(bits: readonly number[]): number[] {
  let max = -1;
  for (const b of bits) if (b > max) max = b;
  const count = Math.floor(max / 5) + 1;
  const words = new Array<number>(count).fill(0);
  for (const b of bits) {
    const at = count - 1 - Math.floor(b / 5);
    words[at] = (words[at] as number) | (1 << (b % 5));
  }
  return words;
}

/** @internal The set bits of big-endian words, ascending. */
export function featureBits(words: ArrayLike<number>): number[] {
  const bits: number[] = [];
  for (let i = words.length - 1; i >= 0; i--) {
    const w = words[i] as number;
    const base = (words.length - 1 - i) * 5;
    for (let k = 0; k < 5; k++) if ((w >> k) & 1) bits.push(base + k);
  }
  return bits;
}
