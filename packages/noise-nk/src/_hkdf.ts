// Noise's HKDF(chaining_key, input_key_material, 2) with HMAC-SHA256 (Noise §4.3): RFC 5869 HKDF with
// the chaining key as salt, an empty info and 64 bytes of output, split in two 32-byte halves.
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';

export function hkdf2(chainingKey: Uint8Array, ikm: Uint8Array): [Uint8Array, Uint8Array] {
  const out = hkdf(sha256, ikm, chainingKey, undefined, 64);
  return [out.slice(0, 32), out.slice(32, 64)];
}
