// The backend is chosen by export condition: a browser-platform bundle of the package's main entry
// contains neither the native module nor any `node:` import, and runs on @noble/curves.
import { describe, expect, it } from 'vitest';
import { browserBundle } from '../../../test-utils/index.js';

describe('browser bundle', () => {
  it('has no native module and no node: import, and selects noble', async () => {
    const bundle = browserBundle('secp');
    try {
      const { code, path: out } = bundle;
      expect(code).not.toMatch(/from\s*["']node:|require\(["']node:/);
      expect(code).not.toContain('secp256k1/bindings');
      expect(code).not.toContain('publicKeyTweakMul');
      const browser = (await import(out)) as typeof import('../src/index.js');
      expect(browser.curve().id).toBe('noble');
      expect(browser.nativeBackendStatus().loaded).toBe(false);
      expect(() => browser.setCurveBackend('native')).toThrow();
      const sk = new Uint8Array(32);
      sk[31] = 1; // d = 1, P = G
      const sig = browser.schnorrSign(new Uint8Array(32), sk);
      expect(browser.schnorrVerify(sig, new Uint8Array(32), browser.G.toBytes(true).subarray(1))).toBe(true);
    } finally {
      bundle.cleanup();
    }
  }, 120_000);
});
