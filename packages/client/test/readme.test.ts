import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runReadmeQuickstart } from '../../../test-utils/index.js';

describe('README', () => {
  it('the quickstart runs as written', async () => {
    const mod = await runReadmeQuickstart(join(import.meta.dirname, '..'));
    expect(mod.kinds).toEqual([['persist'], ['send']]);
    expect(mod.sent).toBe('factory_register');
  });
});
