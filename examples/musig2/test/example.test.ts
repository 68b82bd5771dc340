// The demo runs as `pnpm demo` does and produces a signature that verifies.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { schnorr } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { expect, it } from 'vitest';
import { main } from '../index.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..');

it('main() makes a three-signer BIP340 signature that noble verifies under the tweaked key', () => {
  const lines: string[] = [];
  const r = main((l) => lines.push(l));
  expect(r.valid).toBe(true);
  const msg = hexToBytes(r.message);
  expect(schnorr.verify(hexToBytes(r.signature), msg, hexToBytes(r.outputKey))).toBe(true);
  // It is a key-path signature for the tweaked output key, not for the internal key.
  expect(schnorr.verify(hexToBytes(r.signature), msg, hexToBytes(r.internalKey))).toBe(false);
  expect(lines.some((l) => l.includes(r.signature))).toBe(true);
});

it('the start script (tsx --conditions=source index.ts) exits 0 and prints a valid signature', () => {
  const out = spawnSync('npx', ['tsx', '--conditions=source', 'index.ts'], { cwd: dir, encoding: 'utf8' });
  expect(out.status, out.stderr).toBe(0);
  expect(out.stdout).toMatch(/signature: [0-9a-f]{128}/);
  expect(out.stdout).toContain('BIP340 verify (noble) under the output key: valid');
}, 120_000);
