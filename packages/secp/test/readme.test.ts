import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runReadmeQuickstart } from '../../../test-utils/index.js';

it('the README quickstart runs as written and verifies its own signature', async () => {
  const mod = await runReadmeQuickstart(fileURLToPath(new URL('..', import.meta.url)));
  expect(['native', 'noble']).toContain(mod.backend);
  expect(mod.verified).toBe(true);
  expect(mod.sameAsNoble).toBe(true);
});
