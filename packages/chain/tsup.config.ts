import { defineConfig } from 'tsup';

export default defineConfig({
  // The Node-only JSON-RPC backend is its own entry, so browser bundles of the main entry never load node:http.
  entry: {
    index: 'src/index.ts',
    'bitcoind/index': 'src/bitcoind/index.ts',
    // The SimChain server and its CLI: Node only, like the RPC backend.
    'sim-server/index': 'src/sim-server/index.ts',
    'sim-server/cli': 'src/sim-server/cli.ts',
    // Test-only: the conformance suite (vitest stays external, an optional peer).
    'testing/index': 'src/testing/index.ts',
  },
  external: ['vitest'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
