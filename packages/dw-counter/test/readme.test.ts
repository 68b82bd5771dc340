import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runReadmeQuickstart } from '../../../test-utils/index.js';

describe('README', () => {
  it('the quickstart runs as written and shows a carry into the root', async () => {
    const mod = await runReadmeQuickstart(join(import.meta.dirname, '..'));
    expect(mod.kind).toBe('carry');
    expect(mod.resigned).toEqual([0, 1, 2]);
    // initial c: leaf 0 → 0, leaf 1 → 1; leaf 0's three advances took c = 2, 3, 4
    expect(mod.poisoned).toEqual([4, 1]);
    expect(mod.locks).toEqual([288, 432]);
  });
});
