/**
 * The actions of one `handle` call, in order (shared by both role machines). Consecutive `persist` actions merge into one
 * (same durability, fewer store updates); a send, disconnect or broadcast ends the merge, so each still
 * leaves only after the state before it is durable.
 *
 * @module
 */
import type { Op } from '@superscalar/persist';
import type { EncodedMessage, Message } from '@superscalar/wire';
import type { Action, PeerId } from '../io.js';

export class Out {
  actions: Action[] = [];

  persist(ops: readonly Op[]): void {
    if (ops.length === 0) return;
    const last = this.actions[this.actions.length - 1];
    if (last?.kind === 'persist')
      this.actions[this.actions.length - 1] = { kind: 'persist', ops: [...last.ops, ...ops] };
    else this.actions.push({ kind: 'persist', ops: [...ops] });
  }

  send(peer: PeerId, message: Message): void {
    this.actions.push({ kind: 'send', peer, message });
  }

  /** Sends a message encoded once for many peers (`preEncodeMessage`): the same bytes to each. */
  sendEncoded(peer: PeerId, encoded: EncodedMessage): void {
    this.actions.push({ kind: 'send', peer, message: encoded.message, encoded });
  }

  disconnect(peer: PeerId, reason: string): void {
    this.actions.push({ kind: 'disconnect', peer, reason });
  }

  broadcast(raw: Uint8Array, txid: string, label: string, child?: Uint8Array): void {
    this.actions.push(
      child === undefined
        ? { kind: 'broadcast', raw, txid, label }
        : { kind: 'broadcast', raw, txid, label, child },
    );
  }

  take(): Action[] {
    const a = this.actions;
    this.actions = [];
    return a;
  }
}
