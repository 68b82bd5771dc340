import { join } from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot, runReadmeQuickstart } from '../../../test-utils/index.js';

it('the README quickstart runs as written and reads back its acknowledged update', async () => {
  const m = await runReadmeQuickstart(join(repoRoot, 'packages', 'persist'));
  expect(m.last).toBe(1n);
  expect(m.invoice).toMatchObject({ amountMsat: 5000n, state: 'open' });
});
