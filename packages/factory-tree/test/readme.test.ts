import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runReadmeQuickstart } from '../../../test-utils/index.js';

it('the README quickstart runs as written: 6 signed transactions, then an advance with its poison and settlements', async () => {
  const mod = await runReadmeQuickstart(fileURLToPath(new URL('..', import.meta.url)));
  expect(mod.signatures).toBe(6);
  expect(mod.jobs).toEqual(['tx 3', 'poison c=0', 'settlement c=0 client=0', 'settlement c=0 client=1']);
}, 60_000);
