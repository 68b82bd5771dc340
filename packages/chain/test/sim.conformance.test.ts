import { SimChain } from '../src/index.js';
import { chainConformance } from '../src/testing/index.js';

chainConformance('SimChain (Core 29.1+ defaults)', async () => ({ backend: new SimChain() }));
chainConformance('SimChain (Core 28 relay fees: 1,000 sat/kvB)', async () => ({
  backend: new SimChain({
    policy: { coreVersion: 280000, minRelayFeeRate: 1000, incrementalRelayFeeRate: 1000 },
  }),
}));
chainConformance('SimChain (Core 31 cluster-mempool RBF)', async () => ({
  backend: new SimChain({ policy: { coreVersion: 319900 } }),
}));
