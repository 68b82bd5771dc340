// @superscalar/watchtower: a trustless watchtower as a sans-IO core (browser-safe). The Node runtime is
// `@superscalar/watchtower/node`. Re-exports only.
export {
  type CpfpChild,
  type CpfpParent,
  type FundCpfpChildOptions,
  type FundCpfpChildResult,
  fundCpfpChild,
} from './cpfp.js';
export {
  checkResponse,
  type EntryChange,
  type EntryKind,
  FACTORY_BLOB_PREFIX,
  FACTORY_BLOB_VERSION,
  factoryBlobKey,
  type LStockSecretEntryOptions,
  lstockSecretEntry,
  MAX_RESPONSES_PER_TRIGGER,
  type PenaltyEntryOptions,
  type PoisonEntry,
  penaltyEntries,
  RELEASED_KIND,
  type ReleasedEntriesOptions,
  releasedEntries,
  revokedCommitmentOps,
  type StaleStateEntryOptions,
  type SupersededStateEntryOptions,
  staleStateEntry,
  supersededStateEntries,
  uniqueBlobPuts,
} from './entries.js';
export {
  DecodeError,
  InvalidArgumentError,
  InvalidEntryError,
  MissingEntriesError,
  OutOfOrderError,
  SecretMismatchError,
  StaleMemoryError,
  UnknownPoisonError,
  WatchtowerError,
  type WatchtowerErrorCode,
} from './errors.js';
export {
  type Commit,
  closeFactoryOps,
  type EntrySource,
  type OpenTowerOptions,
  openTower,
  storeEntrySource,
} from './io.js';
export {
  decodeTowerEvent,
  isTowerEventKind,
  TOWER_EVENT_KINDS,
  type TowerEventKind,
  type TowerJournalEvent,
  towerEventOp,
} from './journal.js';
export { DEFAULT_FEE_POLICY, type FeePolicy, feePolicy, nextFeeRate } from './policy.js';
export {
  type CreateWatchtowerOptions,
  type ReleasedResponse,
  type ResponseView,
  Watchtower,
  type WatchtowerOptions,
} from './tower.js';
export type {
  EntryRows,
  FeeRates,
  ResponseRef,
  TowerAction,
  TowerEvent,
  TowerInput,
} from './types.js';
