// @superscalar/wire: SuperScalar protocol messages as typed values with one strict, total codec. Re-exports only.
export * from './bigsize.js';
export { type Extensible, MAX_MESSAGE_SIZE } from './codec.js';
export * from './errors.js';
export * from './fragment.js';
export * from './identity.js';
export {
  type AdvanceMessage,
  type CloseMessage,
  decodeMessage,
  encodeMessage,
  type FactoryMessage,
  type InvoiceMessage,
  type JitMessage,
  MESSAGE_NAMES,
  MESSAGE_TYPES,
  type Message,
  type MessageName,
  peekMessageType,
  type RotationMessage,
  type SetupMessage,
  type SizeOptions,
} from './message.js';
export * from './messages/advance.js';
export * from './messages/channel.js';
export * from './messages/close.js';
export * from './messages/factory.js';
export * from './messages/invoice.js';
export * from './messages/jit.js';
export * from './messages/rotation.js';
export * from './messages/setup.js';
export * from './tlv.js';
