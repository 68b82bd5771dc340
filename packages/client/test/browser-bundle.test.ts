// The client's main entry is browser-safe (issue 21): a browser-platform bundle of src/index.ts has
// no `node:` import, and the machine runs from it.
import { describe, expect, it } from 'vitest';
import { browserBundle } from '../../../test-utils/index.js';

describe('browser bundle', () => {
  it('has no node: import, and a client machine runs from it', async () => {
    const bundle = browserBundle('client');
    try {
      expect(bundle.code).not.toMatch(/from\s*["']node:|require\(["']node:|import\(["']node:/);
      const mod = (await import(bundle.path)) as typeof import('../src/index.js');
      expect(typeof mod.Client.create).toBe('function');
      expect(
        mod.decodeClientEvent({
          kind: 'FactorySigned',
          payload: new TextEncoder().encode('{"factoryId":"00"}'),
        }),
      ).toEqual({
        kind: 'FactorySigned',
        factoryId: '00',
      });
    } finally {
      bundle.cleanup();
    }
  }, 120_000);
});
