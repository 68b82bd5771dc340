// @superscalar/dw-counter: the multi-layer Decker-Wattenhofer odometer of a SuperScalar factory tree.
// Re-exports only.
export { decodeState, encodeState } from './codec.js';
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
export {
  CounterExhaustedError,
  DecodeError,
  DwCounterError,
  type DwCounterErrorCode,
  ExhaustedError,
  InvalidArgumentError,
  InvalidDwParamsError,
  InvalidShapeError,
} from './errors.js';
export {
  BIP68_MAX_BLOCKS,
  bip68Blocks,
  DEFAULT_DW_PARAMS,
  type DwParams,
  dwExitDelay,
  nSequenceForState,
  validateDwParams,
} from './params.js';
export {
  type BuildShapeOptions,
  buildShape,
  type NodeSpec,
  type ShapeNode,
  shapeFromSpec,
  shapeToSpec,
  type TreeShape,
} from './shape.js';
