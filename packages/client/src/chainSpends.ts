/**
 * Preimages from the chain (BOLT 5): a payee that settles an HTLC on chain — its success leaf on
 * either side's commitment — reveals the preimage in the claim's witness, and whoever offered the HTLC
 * must learn it there when the off-chain fulfil never came.
 *
 * The roles stay sans-IO: each machine reports the outpoints it watches ({@link HtlcWatch}: the HTLC
 * outputs it offered on both sides' current commitments of each of its channels, rebuilt only when a
 * channel's commitments change), and its runtime hands it, with `block_connected`, the block's
 * spends of those outpoints ({@link spendsIn}). The machine reads each spend's witness by script path
 * (`@superscalar/poon-dryja`'s `htlcSpendOf`) and acts on a preimage: the client marks its payment
 * sent, the LSP fulfils the forward's incoming HTLC.
 *
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '@superscalar/core';
import { type Channel, type Commitment, type HtlcOutput, htlcSpendOf } from '@superscalar/poon-dryja';
import { decodeTx, displayHex, type OutPoint } from '@superscalar/tx';

/** A spend of a watched outpoint in a block, as a runtime hands it in `block_connected`. */
export interface ChainSpend {
  /** The outpoint spent. */
  readonly outpoint: OutPoint;
  /** The spending transaction (display hex). */
  readonly txid: string;
  /** The input of that transaction that spends it. */
  readonly vin: number;
  /** That input's witness stack. */
  readonly witness: readonly Uint8Array[];
}

/**
 * The spends of `watched` outpoints among a block's raw transactions (a `ChainBlock`'s `txs` and
 * `txids`), in block order. An undecodable transaction is skipped.
 */
export function spendsIn(
  block: { readonly txs: readonly Uint8Array[]; readonly txids: readonly string[] },
  watched: Iterable<OutPoint>,
): ChainSpend[] {
  const keys = new Set<string>();
  for (const o of watched) keys.add(`${o.txid}:${o.vout}`);
  if (keys.size === 0) return [];
  const out: ChainSpend[] = [];
  for (let i = 0; i < block.txs.length; i++) {
    let inputs: ReturnType<typeof decodeTx>['inputs'];
    try {
      inputs = decodeTx(block.txs[i] as Uint8Array).inputs;
    } catch {
      continue;
    }
    inputs.forEach((input, vin) => {
      const txid = displayHex(input.txidBytes);
      if (!keys.has(`${txid}:${input.vout}`)) return;
      out.push({
        outpoint: { txid, vout: input.vout },
        txid: block.txids[i] as string,
        vin,
        witness: input.witness ?? [],
      });
    });
  }
  return out;
}

/** One watched HTLC output. */
interface Watched {
  readonly channelIdHex: string;
  readonly htlcId: bigint;
  readonly output: HtlcOutput;
}

/** A preimage learned from a spend. */
export interface LearnedPreimage {
  readonly channelIdHex: string;
  /** Our HTLC's id on that channel. */
  readonly htlcId: bigint;
  /** Lower-case hex. */
  readonly paymentHash: string;
  readonly preimage: Uint8Array;
  /** The spending transaction. */
  readonly txid: string;
}

/**
 * The HTLC outputs a machine watches: those of HTLCs it offered, on its own current commitment and
 * the counterparty's (its current one and, while its revocation is awaited, the next one we signed) of
 * each channel. Memory only; a channel's entries are rebuilt when its funding
 * outpoint or a commitment number changes.
 */
export class HtlcWatch {
  readonly #channels = new Map<
    string,
    { key: string; local: unknown; remote: unknown; entries: Map<string, Watched> }
  >();

  /** Brings the index up to date with `channels` (by channel id) and returns it, by `txid:vout`. */
  update(channels: Iterable<readonly [string, Channel]>): Map<string, Watched> {
    const seen = new Set<string>();
    const all = new Map<string, Watched>();
    for (const [idHex, ch] of channels) {
      seen.add(idHex);
      let key: string;
      try {
        key = `${ch.funding.txid}:${ch.funding.vout}:${ch.localCommitmentNumber}:${ch.remoteCommitmentNumber}`;
      } catch {
        continue;
      }
      // The specs' identities too: a next counterparty commitment signed before its revocation
      // changes the latest remote spec, not the current number.
      const local = ch.localSpec;
      const remote = ch.remoteSpec;
      let have = this.#channels.get(idHex);
      if (have === undefined || have.key !== key || have.local !== local || have.remote !== remote) {
        have = { key, local, remote, entries: entriesOf(idHex, ch) };
        this.#channels.set(idHex, have);
      }
      for (const [k, w] of have.entries) all.set(k, w);
    }
    for (const id of [...this.#channels.keys()]) if (!seen.has(id)) this.#channels.delete(id);
    return all;
  }

  /** The watched outpoints. */
  outpoints(channels: Iterable<readonly [string, Channel]>): OutPoint[] {
    return [...this.update(channels).keys()].map((k) => {
      const [txid, vout] = k.split(':') as [string, string];
      return { txid, vout: Number(vout) };
    });
  }

  /**
   * The preimages `spends` reveal for watched outputs (a success-leaf spend whose preimage hashes to
   * the HTLC's payment hash); every other spend is ignored, `ignored` says why.
   */
  learn(
    channels: Iterable<readonly [string, Channel]>,
    spends: readonly ChainSpend[] | undefined,
    ignored?: (spend: ChainSpend, reason: string) => void,
  ): LearnedPreimage[] {
    if (!Array.isArray(spends) || spends.length === 0) return [];
    const index = this.update(channels);
    const out: LearnedPreimage[] = [];
    for (const s of spends) {
      const w =
        typeof s?.outpoint?.txid === 'string'
          ? index.get(`${s.outpoint.txid}:${s.outpoint.vout}`)
          : undefined;
      if (w === undefined) continue;
      const r = htlcSpendOf(s.witness, w.output);
      if (r.path !== 'success') {
        if (r.path === 'unrecognised') ignored?.(s, r.reason);
        continue;
      }
      out.push({
        channelIdHex: w.channelIdHex,
        htlcId: w.htlcId,
        paymentHash: toHex(sha256(r.preimage)),
        preimage: r.preimage,
        txid: s.txid,
      });
    }
    return out;
  }
}

function entriesOf(idHex: string, ch: Channel): Map<string, Watched> {
  const entries = new Map<string, Watched>();
  const add = (c: () => Commitment) => {
    let commitment: Commitment;
    try {
      commitment = c();
    } catch {
      return; // no such commitment yet
    }
    for (const o of commitment.outputs)
      if (o.role === 'htlc' && o.offeredBy === ch.role)
        entries.set(`${commitment.txid}:${o.vout}`, { channelIdHex: idHex, htlcId: o.htlcId, output: o });
  };
  add(() => ch.holderCommitment());
  let theirs: Commitment[] = [];
  try {
    theirs = ch.counterpartyCommitments();
  } catch {
    // no counterparty commitment yet
  }
  for (const c of theirs) add(() => c);
  return entries;
}
