import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runReadmeQuickstart } from '../../../test-utils/index.js';

it('the README quickstart runs as written: pre-signature verifies, adapts to a valid signature, reveals t', async () => {
  const mod = await runReadmeQuickstart(fileURLToPath(new URL('..', import.meta.url)));
  expect(mod.ok).toBe(true);
  expect(mod.valid).toBe(true);
  expect(mod.same).toBe(true);
  expect(mod.learnt).toBeInstanceOf(Uint8Array);
});
