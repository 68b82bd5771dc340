// @superscalar/factory-tree: the transactions of a SuperScalar factory tree. Re-exports only.
export * from './close.js';
export * from './distribution.js';
export * from './errors.js';
export * from './exit.js';
export * from './exitErrors.js';
export * from './proposal.js';
export * from './signingPlan.js';
export * from './transactions.js';
export {
  feeFor,
  layoutTree,
  placementOrder,
  shapeMetrics,
  type TreeLayout,
  type TreeTxKind,
  type TxLayout,
  treeTxVsize,
} from './tree.js';
