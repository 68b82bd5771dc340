/**
 * The LSP's `update_fee`, client side (brief §7 "Fee", issue 22). Only the LSP, the funder, sends it
 * (poon-dryja refuses one from anyone else); the client takes a rate within its policy's
 * `minCommitFeeRate`..`maxCommitFeeRate` and refuses any other, as BOLT 2 says for an unreasonable
 * `update_fee`: a `warning` naming the channel and the rate (text `update_fee refused: <rate> sat/kvB
 * …`), sent before the update reaches the channel, and `FeeUpdateRefused` in the journal (code
 * `CLIENT_FEE_RATE_REFUSED`, {@link FeeRateRefusedError}). Then the connection must end, so that both
 * sides forget the update: the LSP closes it when the warning arrives; until then the client ignores
 * the channel's messages (as if the connection had been cut at the refusal: BOLT 2's reestablishment
 * retransmits whatever is needed), and it closes the connection itself at its next tick if the LSP
 * has not.
 *
 * **Not a stuck channel.** Uncommitted updates do not survive a reconnection (BOLT 2), so when the LSP
 * had not yet signed the update, both sides forget it and the channel keeps its rate. When it had,
 * BOLT 2 obliges the LSP to retransmit it right after `channel_reestablish`; refusing it again would
 * repeat forever (or end in a force close), so the client accepts that one retransmission — an
 * `update_fee` of the refused rate after the next `channel_reestablish`, before that connection's first
 * `commitment_signed` — and the LSP, which journalled the refusal, proposes the previous rate back at
 * once. Refusals live in memory.
 *
 * @module
 */
import type { ChannelMessage } from '@superscalar/wire';
import type { ClientCore, ClientFactory } from './_core.js';
import { FeeRateRefusedError } from './errors.js';

interface FeeBook {
  /** Channel id → the rate refused, and whether its retransmission may arrive now. */
  readonly refused: Map<string, { rate: number; armed: boolean }>;
  /** Channels whose messages are ignored until the connection ends (after a refusal). */
  readonly deaf: Set<string>;
}

const books = new WeakMap<ClientCore, FeeBook>();

function bookOf(core: ClientCore): FeeBook {
  let b = books.get(core);
  if (b === undefined) {
    b = { refused: new Map(), deaf: new Set() };
    books.set(core, b);
  }
  return b;
}

/** On every tick: a refusal whose connection the LSP did not close is closed here. */
export function feeTick(core: ClientCore): void {
  const b = books.get(core);
  if (b === undefined || b.deaf.size === 0) return;
  b.deaf.clear();
  if (core.connected) core.disconnectLsp('update_fee refused: the LSP kept the connection');
}

/**
 * Screens a channel message from the LSP before the channel sees it: false to drop it (an
 * `update_fee` the client refuses — the warning is queued — or a message after such a refusal).
 */
export function screenFeeUpdate(core: ClientCore, f: ClientFactory, m: ChannelMessage): boolean {
  const { refused, deaf } = bookOf(core);
  const id = f.channelIdHex;
  const rec = refused.get(id);
  if (m.type === 'channel_reestablish') {
    // A new connection.
    deaf.delete(id);
    if (rec !== undefined) rec.armed = true;
    return true;
  }
  if (deaf.has(id)) return false;
  if (m.type === 'commitment_signed') {
    // The first commitment after the reconnection covers the retransmission, if there was one.
    if (rec?.armed) refused.delete(id);
    return true;
  }
  if (m.type !== 'update_fee') return true;
  const min = core.policy.minCommitFeeRate;
  const max = core.policy.maxCommitFeeRate;
  const rate = m.feeRate;
  if (rate >= min && rate <= max) return true;
  if (rec?.armed && rec.rate === rate) {
    refused.delete(id);
    core.log('warn', 'refused update_fee retransmitted (signed before the refusal): accepted once', {
      channelId: id,
      feeRate: rate,
    });
    return true;
  }
  refused.set(id, { rate, armed: false });
  deaf.add(id);
  const err = new FeeRateRefusedError(id, rate, { min, max });
  core.log('warn', 'update_fee refused', { channelId: id, feeRate: rate, code: err.code }, err);
  core.event({ kind: 'FeeUpdateRefused', channelId: id, feeRate: rate, min, max, code: err.code });
  core.send({
    type: 'warning',
    channelId: f.channelId,
    text: `update_fee refused: ${rate} sat/kvB outside ${min}..${max}`,
  });
  return false;
}
