// @superscalar/poon-dryja: the leaf channels of a SuperScalar factory. Re-exports only.
export type * from './messages.js';
