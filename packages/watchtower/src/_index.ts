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
import { checkPoisonTemplate, RELEASED_KIND } from './entries.js';

interface TriggerMeta {
  /** Factory id hex (one interned string per factory), or null. */
  readonly factory: string | null;
  /** Response indexes present (a number while there is one: the common case). */
  responses: number | number[];
  /** Hash hex of the poison at response 0, if any. */
  poison: string | undefined;
}

function has(r: number | number[], i: number): boolean {
  return typeof r === 'number' ? r === i : r.includes(i);
}

/** @internal */
export class TriggerIndex {
  readonly #triggers = new Map<string, TriggerMeta>();
  /** One string per factory id, shared by its triggers. */
  readonly #factories = new Map<string, string>();
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
    // An owner's release marker replaces the entry: nothing to trigger on.
    if (row.kind === RELEASED_KIND) {
      this.delete(row.triggerTxid, row.responseIndex);
      return;
    }
    let factory: string | null = null;
    if (row.factoryId !== null) {
      const hex = toHex(row.factoryId);
      factory = this.#factories.get(hex) ?? hex;
      this.#factories.set(hex, factory);
    }
    let m = this.#triggers.get(row.triggerTxid);
    if (m === undefined) {
      m = { factory, responses: row.responseIndex, poison: undefined };
      this.#triggers.set(row.triggerTxid, m);
      this.#entries++;
    } else if (!has(m.responses, row.responseIndex)) {
      m.responses =
        typeof m.responses === 'number'
          ? [m.responses, row.responseIndex]
          : [...m.responses, row.responseIndex];
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
    if (m === undefined || !has(m.responses, responseIndex)) return;
    this.#entries--;
    if (responseIndex === 0 && m.poison !== undefined) {
      this.#poisons.delete(m.poison);
      m.poison = undefined;
    }
    const left = typeof m.responses === 'number' ? [] : m.responses.filter((i) => i !== responseIndex);
    if (left.length === 0) this.#triggers.delete(triggerTxid);
    else m.responses = left.length === 1 ? (left[0] as number) : left;
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
