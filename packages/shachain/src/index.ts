export {
  DecodeError,
  InconsistentSecretError,
  InvalidArgumentError,
  ShachainError,
  type ShachainErrorCode,
  UnexpectedIndexError,
} from './errors.js';
export { commitmentIndex, FIRST_INDEX, generateFromSeed } from './generateFromSeed.js';
export { MAX_STORED_SECRETS, ShachainStore, STORE_ENCODING_VERSION } from './store.js';
