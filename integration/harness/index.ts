// The roles harness: a world of one LSP, N clients, SimChain, a simulated network and a virtual clock.
export {
  dropPayeeFulfil,
  PAYEE_GONE_AMOUNT,
  type PayeeGone,
  payeeGone,
  settledProblems,
  successClaim,
} from './chainPreimage.js';
export { type Delivery, type Interceptor, SimNetwork } from './network.js';
export { chance, pick, seededRng, seedOf } from './rng.js';
export { clientOf, factoryOf, lspFactories, openFactory, registerAll } from './scenario.js';
export {
  type BroadcastRecord,
  type CrashPoint,
  ROUTABLE_REGTEST,
  RoleNode,
  World,
  type WorldOptions,
} from './world.js';
