import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runReadmeQuickstart } from '../../../test-utils/index.js';
import { commitmentIndex, generateFromSeed } from '../src/index.js';

it('the README quickstart runs as written and recovers a secret from 4 stored entries', async () => {
  const mod = await runReadmeQuickstart(fileURLToPath(new URL('..', import.meta.url)));
  expect(mod.secret3).toEqual(generateFromSeed(new Uint8Array(32).fill(1), commitmentIndex(3)));
  expect(mod.held).toBe(4);
});
