// @superscalar/dw-counter: the multi-layer Decker-Wattenhofer odometer of a SuperScalar factory tree.
// Re-exports only.
export * from './codec.js';
export {
  type AdvanceResult,
  abandonAdvance,
  advance,
  advancesLeft,
  COUNTER_LIMIT,
  canAdvance,
  DW_STATE_VERSION,
  type DwState,
  INSTANCE_LIMIT,
  initialState,
  type LeafStateInstance,
  type NodeChange,
  nodeState,
  type PathStep,
  pathOf,
} from './counter.js';
export * from './errors.js';
export * from './params.js';
export * from './shape.js';
