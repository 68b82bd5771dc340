// Test helpers over @superscalar/tx for one-input transactions.
import { TaprootSighasher, type Tx, type TxIn, type TxOut } from '@superscalar/tx';

/** BIP341 SIGHASH_DEFAULT of input 0: key path, or script path with `leafHash`. */
export function sighashOne(tx: Tx, spent: TxOut, leafHash?: Uint8Array): Uint8Array {
  return new TaprootSighasher(tx, [spent]).sighash(0, leafHash === undefined ? {} : { leafHash });
}

/** `tx` with input 0 edited. */
export function withInput0(tx: Tx, edit: Partial<TxIn>): Tx {
  return { ...tx, inputs: [{ ...(tx.inputs[0] as TxIn), ...edit }, ...tx.inputs.slice(1)] };
}
