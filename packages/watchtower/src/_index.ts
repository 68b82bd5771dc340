/**
 * @internal The in-memory trigger index of an embedded tower: trigger txid → which responses it has
 * and which factory they belong to, plus the hashes of the poisons it holds (to check a secret when it
 * is added). Response bytes stay in the store and are loaded when a trigger confirms, so memory grows
 * by a small record per trigger, not by the responses (unbounded entries, brief §11; flaw 11).
 *
 * @module
 */
import { toHex } from '@superscalar/core';
import type { Op, WatchEntryRecord } from '@superscalar/persist';
import { decodeTx } from '@superscalar/tx';
import { checkPoisonTemplate } from './entries.js';

interface TriggerMeta {
  /** Factory id hex, or null. */
  readonly factory: string | null;
  /** Response indexes present. */
  readonly responses: number[];
  /** Hash hex of the poison at response 0, if any. */
  poison: string | undefined;
}

/** @internal */
export class TriggerIndex {
  readonly #triggers = new Map<string, TriggerMeta>();
  readonly #byFactory = new Map<string, Set<string>>();
  /** Poison hash hex → factory hex. */
  readonly #poisons = new Map<string, string | null>();
  #entries = 0;

  /** Rows (trigger, response) indexed. */
  get entries(): number {
    return this.#entries;
  }

  /** Distinct trigger txids. */
  get triggers(): number {
    return this.#triggers.size;
  }

  has(txid: string): boolean {
    return this.#triggers.has(txid);
  }

  /** Whether a poison of `factory` (hex, or null) commits to `hashHex`. */
  hasPoison(hashHex: string, factory: string | null): boolean {
    return this.#poisons.has(hashHex) && this.#poisons.get(hashHex) === factory;
  }

  put(row: WatchEntryRecord): void {
    const factory = row.factoryId === null ? null : toHex(row.factoryId);
    let m = this.#triggers.get(row.triggerTxid);
    if (m === undefined) {
      m = { factory, responses: [], poison: undefined };
      this.#triggers.set(row.triggerTxid, m);
      if (factory !== null) {
        let s = this.#byFactory.get(factory);
        if (s === undefined) {
          s = new Set();
          this.#byFactory.set(factory, s);
        }
        s.add(row.triggerTxid);
      }
    }
    if (!m.responses.includes(row.responseIndex)) {
      m.responses.push(row.responseIndex);
      this.#entries++;
    }
    if (row.kind === 'poison' && row.responseIndex === 0) {
      const hash = toHex(checkPoisonTemplate(decodeTx(row.responseTx), 'row.responseTx'));
      m.poison = hash;
      this.#poisons.set(hash, factory);
    }
  }

  delete(triggerTxid: string, responseIndex: number): void {
    const m = this.#triggers.get(triggerTxid);
    if (m === undefined) return;
    const at = m.responses.indexOf(responseIndex);
    if (at < 0) return;
    m.responses.splice(at, 1);
    this.#entries--;
    if (responseIndex === 0 && m.poison !== undefined) {
      this.#poisons.delete(m.poison);
      m.poison = undefined;
    }
    if (m.responses.length === 0) {
      this.#triggers.delete(triggerTxid);
      if (m.factory !== null) {
        const s = this.#byFactory.get(m.factory);
        s?.delete(triggerTxid);
        if (s?.size === 0) this.#byFactory.delete(m.factory);
      }
    }
  }

  /** Applies the `watchEntries` operations of an update (other tables are ignored). */
  apply(ops: readonly Op[]): void {
    for (const op of ops) {
      if (op.op === 'put' && op.table === 'watchEntries') this.put(op.row);
      else if (op.op === 'delete' && op.table === 'watchEntries')
        this.delete(op.key.triggerTxid, op.key.responseIndex);
    }
  }
}
