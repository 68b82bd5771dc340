/**
 * `@superscalar/chain/test`: the chain conformance suite, for tests only. `chainConformance(name, make)`
 * registers (with vitest's `describe`/`it`) the same scenarios, with the same expected Bitcoin Core
 * reject strings, against any {@link ChainBackend}: SimChain in this package's tests, a throwaway
 * bitcoind in `integration/`. Needs `vitest` installed by the consumer (its test runner) and `@scure/btc-signer`
 * (the independent sighash the scenarios sign with).
 */
export { type ConformanceTarget, chainConformance } from './conformance.js';
