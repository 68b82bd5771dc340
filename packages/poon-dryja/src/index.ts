// @superscalar/poon-dryja: the leaf channels of a SuperScalar factory. Re-exports only.
export * from './commitment.js';
export * from './errors.js';
export * from './fees.js';
export * from './keys.js';
export type * from './messages.js';
export * from './scripts.js';
