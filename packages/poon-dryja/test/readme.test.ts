import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runReadmeQuickstart } from '../../../test-utils/index.js';
import { commitmentVsize } from '../src/index.js';

it('the README quickstart runs as written: a commitment with one HTLC, its outputs and fee', async () => {
  const mod = await runReadmeQuickstart(fileURLToPath(new URL('..', import.meta.url)));
  expect(mod.roles).toEqual(['anchor', 'htlc', 'to_local', 'to_remote']);
  expect(mod.vsize).toBe(commitmentVsize(1));
  expect(mod.fee).toBe(BigInt(commitmentVsize(1)));
});
