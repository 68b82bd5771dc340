import { defineConfig } from 'tsup';

export default defineConfig({
  // The two `#backend` targets are entries of their own and `#backend` stays external, so the built
  // package still picks its backend by export condition (libsecp256k1 under `node`, noble else).
  entry: ['src/index.ts', 'src/testing/index.ts', 'src/_backend-node.ts', 'src/_backend-noble.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  external: ['#backend', 'secp256k1', 'vitest'],
});
