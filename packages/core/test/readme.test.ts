import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runReadmeQuickstart } from '../../../test-utils/index.js';

it('the README quickstart runs as written', async () => {
  const mod = await runReadmeQuickstart(fileURLToPath(new URL('..', import.meta.url)));
  expect(mod.matches).toEqual([true, true, 'WALLET_POOL_EMPTY']);
  expect(mod.roundTrip).toBe('00ff');
  expect(mod.now).toBe(5);
});
