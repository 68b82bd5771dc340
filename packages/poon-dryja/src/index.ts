// @superscalar/poon-dryja: the leaf channels of a SuperScalar factory. Re-exports only.

export * from './channel/channel.js';
export type * from './channel/types.js';
export * from './channelErrors.js';
export * from './claims.js';
export * from './commitment.js';
export * from './deadlines.js';
export * from './errors.js';
export * from './fees.js';
export * from './keys.js';
export type * from './messages.js';
export * from './penalty.js';
export * from './rebind.js';
export * from './scripts.js';
export * from './state.js';
export * from './watchtower.js';
