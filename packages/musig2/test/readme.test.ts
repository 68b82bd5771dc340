import { fileURLToPath } from 'node:url';
import { schnorr } from '@noble/curves/secp256k1.js';
import { expect, it } from 'vitest';
import { runReadmeQuickstart } from '../../../test-utils/index.js';

it('the README quickstart runs as written and makes a valid two-signer BIP340 signature', async () => {
  const mod = await runReadmeQuickstart(fileURLToPath(new URL('..', import.meta.url)));
  expect(mod.valid).toBe(true);
  const sig = mod.sig as Uint8Array;
  expect(sig).toBeInstanceOf(Uint8Array);
  expect(sig).toHaveLength(64);
  const aggpk = mod.aggpk as Uint8Array;
  expect(schnorr.verify(sig, new Uint8Array(32).fill(7), aggpk)).toBe(true);
  // ... and not for another message (the quickstart's own check is not vacuous).
  expect(schnorr.verify(sig, new Uint8Array(32).fill(8), aggpk)).toBe(false);
});
