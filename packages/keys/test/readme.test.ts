import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runReadmeQuickstart } from '../../../test-utils/index.js';

describe('README', () => {
  it('the quickstart runs as written and derives usable keys', async () => {
    const mod = await runReadmeQuickstart(join(import.meta.dirname, '..'));
    expect(mod.same).toBe(true);
    expect((mod.identity as Uint8Array).length).toBe(33);
    expect((mod.closeScript as Uint8Array).length).toBe(34);
    expect((mod.factory0 as { path: string }).path).toBe("m/8383'/1'/1'/0'");
  });
});
