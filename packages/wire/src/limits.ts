/**
 * Per-type size bounds ({@link SizeLimits}, applied by `decodeMessage`'s `maxSizeByType` and the
 * `Reassembler`'s `maxTotalSizeByType` before anything is decoded or buffered) computed from a
 * factory's shape, so that each peer may send only what its part of the protocol needs: a client's
 * signing messages carry O(depth) entries (one per transaction of its path, brief §8), not a list
 * sized by the 65,535-byte frame.
 *
 * The bounds are the largest encoding of each message for the shape (computed from the codecs' field
 * widths), plus `extensionBytes` for unknown odd records a newer peer may add. Messages not listed
 * keep the general bound (`maxSize`).
 *
 * @module
 */

import { MAX_FUNDING_TX_SIZE } from './_tx.js';
import { bigSizeLength } from './bigsize.js';
import { wireError } from './errors.js';
import type { SizeLimits } from './message.js';
import { ONION_PACKET_SIZE } from './messages/channel.js';

/** A factory's shape as the bounds need it. */
export interface ShapeLimitsOptions {
  /**
   * Tree nodes on the longest root-to-leaf path (the leaf's node included). Each node is at most two
   * transactions (kickoff and state), so a client signs at most `2 · depth` tree transactions.
   */
  readonly depth: number;
  /** Tree transactions on the longest path, when known exactly (default `2 · depth`). */
  readonly pathTxs?: number;
  /** Distribution transactions a client signs (default 2: the top one and its sub-distribution, §6). */
  readonly distributionTxs?: number;
  /** Bytes allowed for `error`/`factory_abort`/refusal texts (default 1,024). */
  readonly textBytes?: number;
  /** Room for unknown odd records in each message (default 1,024). */
  readonly extensionBytes?: number;
}

/** Options of {@link lspLimits}: the shape, plus what the proposal's size depends on. */
export interface LspLimitsOptions extends ShapeLimitsOptions {
  /** Clients in the factory (N). */
  readonly clients: number;
  /** Leaves (default N: the most there can be, leaf arity 1). */
  readonly leaves?: number;
  /** Largest unsigned funding transaction accepted, bytes (default 10,000; at most 100,000). */
  readonly fundingTxBytes?: number;
}

const rec = (tlv: number, len: number) => bigSizeLength(BigInt(tlv)) + bigSizeLength(BigInt(len)) + len;
const msg = (...records: number[]) => 2 + records.reduce((a, b) => a + b, 0);

function int(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw wireError('WIRE_INVALID_ARGUMENT', `expected an integer in ${min}..${max}, got ${String(v)}`, {
      field,
    });
  return v;
}

function shape(o: ShapeLimitsOptions) {
  if (typeof o !== 'object' || o === null)
    throw wireError('WIRE_INVALID_ARGUMENT', 'expected an options object', { field: 'options' });
  const depth = int(o.depth, 'options.depth', 1, 1_000);
  return {
    txs: int(o.pathTxs ?? 2 * depth, 'options.pathTxs', 1, 2 * depth),
    dist: int(o.distributionTxs ?? 2, 'options.distributionTxs', 0, 201),
    text: int(o.textBytes ?? 1024, 'options.textBytes', 0, 60_000),
    ext: int(o.extensionBytes ?? 1024, 'options.extensionBytes', 0, 60_000),
  };
}

/** Largest encodings of the messages whose size depends on the signing counts. */
const signing = {
  nonces: (n: number, d: number) => msg(rec(0, 32), rec(2, 1), rec(4, 2 + n * 71), rec(6, 2 + d * 68)),
  psigs: (n: number, d: number) => msg(rec(0, 32), rec(2, 1), rec(4, 2 + n * 36), rec(6, 2 + d * 34)),
  signed: (n: number, d: number) => msg(rec(0, 32), rec(2, 2 + n * 68), rec(4, 2 + d * 66)),
};

/**
 * Largest encodings of the advance messages one client's part bounds (brief §5): in an advance a
 * client signs at most its path's transactions, its leaf's poison and its own settlement (`t =
 * pathTxs + 2` entries), and rebinds its one channel (two rebound commitments: its own and the LSP's).
 */
const ADVANCE_EXTRA_TXS = 2;
const CLIENT_CHANNELS = 1;
const advance = {
  nonces: (t: number) =>
    msg(rec(0, 32), rec(2, 4), rec(4, 2 + t * 71), rec(6, 2 + CLIENT_CHANNELS * 98), rec(13, 2)),
  aggNonces: (t: number) =>
    msg(
      rec(0, 32),
      rec(2, 4),
      rec(4, 2 + t * 71),
      rec(6, 2 + CLIENT_CHANNELS * 98),
      rec(8, 2 + CLIENT_CHANNELS * 130),
      rec(13, 2),
    ),
  psigs: (t: number) =>
    msg(rec(0, 32), rec(2, 4), rec(4, 2 + t * 37), rec(6, 2 + CLIENT_CHANNELS * 130), rec(13, 2)),
  done: (t: number) => msg(rec(0, 32), rec(2, 4), rec(4, 2 + t * 69)),
  // O(leaves re-signed): per leaf its allocation (≤ 2 channels of 20 bytes) and its created state.
  propose: (leaves: number) =>
    msg(
      rec(0, 32),
      rec(2, 4),
      rec(4, 4),
      rec(6, 1),
      rec(8, 2 + leaves * (14 + 2 * 20)),
      rec(12, 2 + leaves * 44),
      rec(13, 2),
    ),
  lstockSecret: msg(rec(0, 32), rec(2, 8), rec(4, 32)),
  request: msg(rec(0, 32), rec(2, 8), rec(4, 8)),
};

/** Largest encodings of the fixed-shape messages of issue 20 (texts bounded by `text`). */
function fixed(text: number) {
  return {
    factory_register: msg(rec(0, 33), rec(2, 32), rec(4, 8), rec(6, 8), rec(8, 24)),
    factory_register_response: msg(rec(0, 33), rec(2, 40), rec(4, 2 + text)),
    // A ceremony record excludes the others: the largest is phase close with the last advance.
    factory_reestablish: msg(rec(0, 32), rec(2, 1), rec(6, 5), rec(8, 3)),
    factory_abort: msg(rec(0, 32), rec(2, 2), rec(4, text), rec(6, 4)),
    channel_setup: msg(rec(0, 32), rec(2, 32), rec(4, 4), rec(6, 4 * 33), rec(8, 33), rec(10, 33)),
    // The onion form is the larger one (a hop payload is at most 58 bytes and needs an empty onion).
    update_add_htlc: msg(rec(0, 32), rec(2, 8), rec(4, 8), rec(6, 32), rec(8, 4), rec(10, ONION_PACKET_SIZE)),
  };
}

/**
 * The bounds an LSP applies to what **one client** sends it: the client's ceremony messages hold one
 * entry per transaction of its path (≤ `2 · depth`) and per distribution transaction it signs; its
 * advance messages (`advance_nonces`, `advance_psigs`) one per transaction it signs in an advance —
 * its path's, its leaf's poison, its settlement — and one rebinding entry for its channel.
 *
 * @throws {WireError} `WIRE_INVALID_ARGUMENT` naming the option.
 */
export function clientLimits(options: ShapeLimitsOptions): SizeLimits {
  const s = shape(options);
  const f = fixed(s.text);
  const ext = (n: number) => n + s.ext;
  return {
    factory_register: ext(f.factory_register),
    factory_nonces: ext(signing.nonces(s.txs, s.dist)),
    factory_psigs: ext(signing.psigs(s.txs, s.dist)),
    factory_abort: ext(f.factory_abort),
    factory_reestablish: ext(f.factory_reestablish),
    channel_setup: ext(f.channel_setup),
    update_add_htlc: ext(f.update_add_htlc),
    advance_nonces: ext(advance.nonces(s.txs + ADVANCE_EXTRA_TXS)),
    advance_psigs: ext(advance.psigs(s.txs + ADVANCE_EXTRA_TXS)),
    advance_request: ext(advance.request),
  };
}

/**
 * The bounds a client applies to what **its LSP** sends it: the same O(depth) signing messages (the
 * ceremony's and the advance's `advance_agg_nonces`, `advance_done`, `lstock_secret`), and two that
 * grow with the leaves: `factory_propose`, O(N) (about 106 bytes per client with a placement profile,
 * 32 + 8 per leaf, plus the funding transaction; usually fragmented), and `advance_propose`, 98 bytes
 * per re-signed leaf (an epoch reset re-signs every leaf: bounded by `leaves`).
 *
 * @throws {WireError} `WIRE_INVALID_ARGUMENT` naming the option.
 */
export function lspLimits(options: LspLimitsOptions): SizeLimits {
  const s = shape(options);
  const f = fixed(s.text);
  const n = int(options.clients, 'options.clients', 1, 1_000_000);
  const leaves = int(options.leaves ?? n, 'options.leaves', 1, n);
  const tx = int(options.fundingTxBytes ?? 10_000, 'options.fundingTxBytes', 60, MAX_FUNDING_TX_SIZE);
  const ext = (x: number) => x + s.ext;
  const propose = msg(
    rec(0, 1), // network
    rec(2, 4), // proposalHeight
    rec(4, 65), // lsp
    rec(6, 4 + n * (33 + 32 + 8 + 8 + 1 + 24)), // clients, each with a profile
    rec(8, 1), // placement
    rec(10, 1), // leafArity
    rec(12, 2 + 255), // levelArity
    rec(14, 1), // staticLevels
    rec(16, 4), // dw
    rec(18, 4 + leaves * 8), // lStock
    rec(20, 4),
    rec(22, 2),
    rec(24, 4),
    rec(26, 4),
    rec(28, 4),
    rec(30, 4),
    rec(32, 2),
    rec(34, 4),
    rec(36, 2),
    rec(38, 2),
    rec(40, 2),
    rec(42, 4), // T
    rec(44, 44), // funding
    rec(46, 4 + leaves * 32), // poisonHashes
    rec(48, tx), // fundingTx
  );
  return {
    factory_register_response: ext(f.factory_register_response),
    factory_propose: ext(propose),
    factory_agg_nonces: ext(signing.nonces(s.txs, s.dist)),
    factory_signed: ext(signing.signed(s.txs, s.dist)),
    factory_abort: ext(f.factory_abort),
    factory_reestablish: ext(f.factory_reestablish),
    channel_setup: ext(f.channel_setup),
    update_add_htlc: ext(f.update_add_htlc),
    advance_propose: ext(advance.propose(leaves)),
    advance_agg_nonces: ext(advance.aggNonces(s.txs + ADVANCE_EXTRA_TXS)),
    advance_done: ext(advance.done(s.txs + ADVANCE_EXTRA_TXS)),
    lstock_secret: ext(advance.lstockSecret),
  };
}
