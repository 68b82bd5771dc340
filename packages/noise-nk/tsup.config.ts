import { defineConfig } from 'tsup';

export default defineConfig({
  // The two `#aead` targets are entries of their own and `#aead` stays external, so the built
  // package still picks its AEAD by export condition (node:crypto under `node`, @noble/ciphers else).
  entry: [
    'src/index.ts',
    'src/node/index.ts',
    'src/testing/index.ts',
    'src/_aead-node.ts',
    'src/_aead-noble.ts',
  ],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  external: ['#aead'],
});
