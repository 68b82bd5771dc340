// @superscalar/factory-tree: the transactions of a SuperScalar factory tree. Re-exports only.
export * from './advance.js';
export {
  type AgreedTerms,
  buildClientPath,
  type ClientDistribution,
  type ClientDistributionOptions,
  type ClientPath,
  type ClientPathOptions,
  ceremonyJobs,
  checkSignedDistribution,
  checkUnsignedPath,
  clientDistribution,
  type DistributionSignatureEntry,
  replayClientPath,
  type UnsignedPathCheckOptions,
} from './clientPath.js';
export * from './close.js';
export * from './distribution.js';
export * from './errors.js';
export * from './exit.js';
export * from './exitErrors.js';
export {
  type ClientJobsRound1Options,
  type ClientJobsRound2Options,
  ClientSigningState,
  clientJobsRound1,
  clientJobsRound2,
  type IndexedJob,
  type JobAggNonces,
  type JobNonces,
  type JobPartialSigs,
  jobsByParticipant,
  keyPathJob,
  type LspAggregateJobsOptions,
  LspSigningState,
  type LspSignJobsOptions,
  lspAggregateJobs,
  lspSignJobs,
  type SigningJob,
  type SigningJobInput,
  type SigningJobKind,
  type SigningPhase,
  type SplitSimulationOptions,
  signingJob,
  signJobsSplitSimulated,
} from './jobs.js';
export {
  buildPoison,
  type PoisonClient,
  type PoisonOptions,
  type PoisonTx,
  parsePoisonLeaf,
  poisonWitness,
  signedPoisonBytes,
  verifyLStockSecret,
} from './poison.js';
export * from './proposal.js';
export * from './serialize.js';
export * from './settlement.js';
export * from './signingPlan.js';
export {
  buildTree,
  channelOutput,
  checkAllocation,
  type FactoryState,
  type FactoryTree,
  fundingOutput,
  initialFactoryState,
  type LeafAllocation,
  leafTotals,
  lStockCsvLeaf,
  lStockOutput,
  musigTaprootOutput,
  type OutputRole,
  poisonLeaf,
  signedTxBytes,
  type TaprootOutput,
  type TreeTx,
  timeoutLeaf,
  unsignedTxBytes,
  xonly,
} from './transactions.js';
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
export * from './verify.js';
