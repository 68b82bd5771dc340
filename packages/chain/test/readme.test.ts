import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runReadmeQuickstart } from '../../../test-utils/index.js';

it('the README quickstart runs as written: an early relative lock is non-BIP68-final, then it confirms', async () => {
  const mod = await runReadmeQuickstart(fileURLToPath(new URL('..', import.meta.url)));
  expect(mod.early).toBe('non-BIP68-final');
  expect(mod.txid).toMatch(/^[0-9a-f]{64}$/);
  expect(mod.confirmations).toBe(1);
});
