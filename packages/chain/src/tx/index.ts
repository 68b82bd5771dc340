export { checkTransaction, isCoinbase, MAX_BLOCK_WEIGHT, MAX_MONEY } from './checkTransaction.js';
export { DecodeError, type DecodeProblem } from './errors.js';
export type { Tx, TxIn, TxInit, TxOut } from './transaction.js';
export {
  baseSize,
  createTx,
  decodeTx,
  encodeTx,
  fromDisplayHex,
  hasWitness,
  toDisplayHex,
  totalSize,
  txid,
  txidHex,
  vsize,
  weight,
  wtxid,
  wtxidHex,
} from './transaction.js';
