// The AEAD backend is chosen by export condition: node:crypto under `node`, @noble/ciphers otherwise.
// A browser-platform bundle of the package's main entry contains no `node:` import, picks
// @noble/ciphers, and completes a handshake with a Node peer.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { defaultAead } from '#aead';
import { browserBundle } from '../../../test-utils/index.js';
import { Handshake } from '../src/handshake.js';
import { key } from './_helpers.js';

describe('AEAD selection', () => {
  it('under the node condition the default AEAD is node:crypto', () => {
    expect(defaultAead.name).toBe('node:crypto');
  });

  it('a browser bundle has no node: imports, uses @noble/ciphers, and interoperates with Node', async () => {
    const bundle = browserBundle('noise-nk');
    try {
      const { code, path: out } = bundle;
      expect(code).not.toMatch(/from\s*["']node:|require\(["']node:/);
      expect(code).not.toContain('createCipheriv');
      const browser = (await import(out)) as typeof import('../src/index.js');
      const server = key(7);
      const client = browser.Handshake.initiator({ remoteStatic: secp256k1.getPublicKey(server, true) });
      const resp = Handshake.responder({ localStatic: server });
      resp.readAct(client.writeAct());
      client.readAct(resp.writeAct());
      const m = Uint8Array.of(4, 5, 6);
      expect(resp.outcome.transport.push(client.outcome.transport.encrypt(m))).toEqual([m]);
    } finally {
      bundle.cleanup();
    }
  }, 120_000);
});
