// The client's main entry and its runtime core run in browsers: bundled for the browser, neither
// pulls in a `node:` module (the Node runtime lives behind `@superscalar/client/node`).
import { describe, expect, it } from 'vitest';
import { browserBundle } from '../../../test-utils/index.js';

const NODE_IMPORT = /from\s*["']node:|require\(["']node:|import\(["']node:/;

describe('browser bundle', () => {
  it('the main entry imports nothing from Node, and its discovery refuses plain HTTP', async () => {
    const bundle = browserBundle('client');
    try {
      expect(bundle.code).not.toMatch(NODE_IMPORT);
      const mod = (await import(bundle.path)) as typeof import('../src/index.js');
      await expect(
        mod.discoverLsp('http://example.com', { fetch: async () => Promise.reject(new Error('no')) }),
      ).rejects.toMatchObject({
        code: 'CLIENT_DISCOVERY_INSECURE',
      });
      // The machine runs from the bundle.
      expect(typeof mod.Client.create).toBe('function');
      expect(
        mod.decodeClientEvent({
          kind: 'FactorySigned',
          payload: new TextEncoder().encode('{"factoryId":"00"}'),
        }),
      ).toEqual({ kind: 'FactorySigned', factoryId: '00' });
    } finally {
      bundle.cleanup();
    }
  }, 120_000);

  it('the runtime core (@superscalar/client/runtime) bundles for the browser too', () => {
    const bundle = browserBundle('client', 'src/runtime/index.ts');
    try {
      expect(bundle.code).not.toMatch(NODE_IMPORT);
      expect(bundle.code).toContain('RoleRuntime');
      expect(bundle.code).toContain('EmbeddedTower'); // the watchtower's core and runner bundle too
    } finally {
      bundle.cleanup();
    }
  });
});
