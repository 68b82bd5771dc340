// A bounded cache of signature checks that succeeded, like Bitcoin Core's signature cache
// (script/sigcache.cpp): a transaction verified for the mempool is verified again when its block
// connects, and only the valid (sighash, key, signature) triples are worth remembering.
import { bytesToHex } from '@noble/hashes/utils.js';

const MAX_ENTRIES = 50_000; // ≈ 15 MB of keys at most
const valid = new Map<string, true>();

/** The cache key of one check: scheme tag, message hash, key and signature. */
export function sigCacheKey(tag: string, msg: Uint8Array, key: Uint8Array, sig: Uint8Array): string {
  return `${tag}${bytesToHex(msg)}${bytesToHex(key)}:${bytesToHex(sig)}`;
}

/** True when this exact check succeeded before. */
export function sigCacheHas(k: string): boolean {
  return valid.has(k);
}

/** Remembers a successful check, evicting the oldest entry when full. */
export function sigCacheAdd(k: string): void {
  if (valid.size >= MAX_ENTRIES) {
    const oldest = valid.keys().next();
    if (!oldest.done) valid.delete(oldest.value);
  }
  valid.set(k, true);
}
