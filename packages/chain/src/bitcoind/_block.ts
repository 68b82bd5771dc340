// Internal: a raw block (`getblock <hash> 0`) decoded and checked against what was asked, so a
// hostile or broken node cannot hand us transactions under a block hash they do not belong to. Checks
// what is cheap: the header hashes to the block hash asked, the transactions' merkle root is the
// header's (with Core's CVE-2012-2459 duplicate rule), and the coinbase's witness commitment (BIP141)
// covers every witness. Not checked: proof of work, consensus validity of the transactions.
import { sha256 } from '@noble/hashes/sha2.js';
import { MalformedReply } from '../errors.js';
import { merkleRoot } from '../sim/_block.js';
import { Reader } from '../tx/_bytes.js';
import { DecodeError } from '../tx/errors.js';
import { readTx, type Tx, toDisplayHex, txid, wtxid } from '../tx/transaction.js';

const sha256d = (b: Uint8Array): Uint8Array => sha256(sha256(b));

/** A raw block, decoded and checked. */
export interface DecodedBlock {
  readonly hash: string;
  readonly prevHash: string;
  readonly time: number;
  readonly txs: Uint8Array[];
  readonly txids: string[];
  readonly decoded: Tx[];
}

const equal = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** Witness commitment output of the coinbase (BIP141): the last output starting 6a24aa21a9ed. */
function witnessCommitment(coinbase: Tx): Uint8Array | undefined {
  for (let i = coinbase.outputs.length - 1; i >= 0; i--) {
    const s = coinbase.outputs[i]!.script;
    if (
      s.length >= 38 &&
      s[0] === 0x6a &&
      s[1] === 0x24 &&
      s[2] === 0xaa &&
      s[3] === 0x21 &&
      s[4] === 0xa9 &&
      s[5] === 0xed
    )
      return s.subarray(6, 38);
  }
  return undefined;
}

/** Decodes `raw` and checks it is the block `hash`; {@link MalformedReply} otherwise. */
export function decodeBlock(raw: Uint8Array, hash: string): DecodedBlock {
  const bad = (problem: string, cause?: unknown): never => {
    throw new MalformedReply('getblock', 'result', problem, cause === undefined ? undefined : { cause });
  };
  if (raw.length < 81) bad('shorter than a header and a transaction count');
  const header = raw.subarray(0, 80);
  if (toDisplayHex(sha256d(header)) !== hash) bad('the header does not hash to the block hash asked');
  const r = new Reader(raw);
  r.pos = 80;
  const decoded: Tx[] = [];
  const txs: Uint8Array[] = [];
  try {
    const n = r.compactSize();
    if (n === 0 || n > raw.length) bad('impossible transaction count');
    for (let i = 0; i < n; i++) {
      const start = r.pos;
      decoded.push(readTx(r));
      txs.push(raw.slice(start, r.pos));
    }
  } catch (e) {
    if (DecodeError.isInstance(e)) bad(`undecodable transaction: ${e.message}`, e);
    throw e;
  }
  if (r.remaining !== 0) bad('bytes after the last transaction');
  const ids = decoded.map((t) => txid(t));
  // CVE-2012-2459: a tree whose last two nodes at some level are equal is malleable; Core refuses it.
  const seen = new Set(ids.map((t) => toDisplayHex(t)));
  if (seen.size !== ids.length) bad('duplicate transactions');
  if (!equal(merkleRoot(ids), header.subarray(36, 68)))
    bad("the transactions' merkle root is not the header's");
  if (decoded.some((t) => t.inputs.some((i) => i.witness.length > 0))) {
    const coinbase = decoded[0]!;
    const commitment = witnessCommitment(coinbase);
    const reserved = coinbase.inputs[0]?.witness[0];
    if (commitment === undefined || reserved === undefined || reserved.length !== 32)
      bad('witness data without a witness commitment');
    const wids = decoded.map((t, i) => (i === 0 ? new Uint8Array(32) : wtxid(t)));
    const root = merkleRoot(wids);
    const both = new Uint8Array(64);
    both.set(root, 0);
    both.set(reserved!, 32);
    if (!equal(sha256d(both), commitment!)) bad('the witness commitment does not match the witnesses');
  }
  const prev = header.subarray(4, 36);
  const time = (header[68]! | (header[69]! << 8) | (header[70]! << 16) | (header[71]! << 24)) >>> 0;
  return {
    hash,
    prevHash: toDisplayHex(prev),
    time,
    txs,
    txids: ids.map((t) => toDisplayHex(t)),
    decoded,
  };
}
