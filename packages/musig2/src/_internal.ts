// Test-only entry points (never re-exported from index.ts; the package's `exports` map does not expose
// this file). BIP327's vectors give secret nonces as raw 97-byte strings; this turns one into an owned
// SecretNonce so the vectors can drive `sign`.
import { assertBytes } from './_assert.js';
import { bytesToInt } from './point.js';
import { createSecretNonce, type SecretNonce } from './secretNonce.js';

/** Builds a {@link SecretNonce} from BIP327's 97-byte `k1 || k2 || pk` (scalars are checked at signing). */
export function secretNonceFromBytes(secnonce: Uint8Array): SecretNonce {
  assertBytes(secnonce, 'secnonce', 97);
  return createSecretNonce({
    k1: bytesToInt(secnonce.subarray(0, 32)),
    k2: bytesToInt(secnonce.subarray(32, 64)),
    pk: secnonce.slice(64, 97),
    R1: undefined,
    R2: undefined,
  });
}
