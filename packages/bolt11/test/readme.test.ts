import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runReadmeQuickstart } from '../../../test-utils/index.js';

it('the README quickstart runs as written: an invoice through the LSP, decoded and checked', async () => {
  const mod = await runReadmeQuickstart(fileURLToPath(new URL('..', import.meta.url)));
  expect(mod.prefix).toBe('lnbcrt10u1');
  expect(mod.amountMsat).toBe(1_000_000n);
  expect(mod.expired).toBe(false);
});
