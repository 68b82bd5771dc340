/**
 * `@superscalar/tx`: the Bitcoin transaction layer every `@superscalar/*` builder shares — one
 * exact-size codec, the txid convention and `OutPoint`, a cached BIP341 sighasher, taproot outputs,
 * and the policy constants. Browser-safe, no I/O.
 */

export {
  ANCHOR_AMOUNT,
  checkDust,
  LOCKTIME_THRESHOLD,
  P2A_SCRIPT,
  P2TR_DUST,
  TRUC_MAX_VSIZE,
} from './constants.js';
export { BelowDustError, DecodeError, InvalidArgumentError, TxError, type TxErrorCode } from './errors.js';
export { compactSizeLen, Reader, varBytesLen, Writer } from './io.js';
export {
  SIGHASH_ALL,
  SIGHASH_ANYONECANPAY,
  SIGHASH_DEFAULT,
  SIGHASH_NONE,
  SIGHASH_SINGLE,
  type SighashOptions,
  TaprootSighasher,
} from './sighash.js';
export {
  controlBlock,
  p2trScript,
  TAPSCRIPT_LEAF_VERSION,
  type TapLeaf,
  type TaprootKey,
  type TapTree,
  type TapTreeInfo,
  type TapTreeLeaf,
  tapBranchHash,
  tapLeafHash,
  taprootOutput,
  taprootTweak,
  tapTree,
  tweakSecretKey,
} from './taproot.js';
export {
  decodeTx,
  encodeTx,
  encodeTxNoWitness,
  type Tx,
  type TxIn,
  type TxOut,
  txidBytesOf,
  txidOf,
  txVsize,
  txWeight,
  type Witnesses,
  withWitnesses,
  wtxidOf,
} from './transaction.js';
export { displayHex, isTxid, type OutPoint, txidBytes } from './txid.js';
