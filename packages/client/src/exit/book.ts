/**
 * A role's exit drivers and their stored records, shared by both roles (the client under `client/x/`,
 * the LSP under `lsp/x/`; `@superscalar/lsp` extends it for its own exits): the record's put, the
 * restore from the store's blobs, the one re-send of what was in flight after a restore, and the
 * pruning of finished exits once they are buried.
 *
 * **Pruning.** An exit whose factory is over, completed (every step confirmed or lost), whose last
 * confirmation or loss is `depth` blocks deep (the watchtower's `finalityDepth`, 6 by default: a
 * reorganisation that deep is not expected), leaves the book and its record is deleted. What an
 * embedder needs of it is already journalled (`ExitStarted` … `ExitCompleted`, each claim's
 * `ExitClaimed`); the fee coins were released when it completed.
 *
 * @module
 */
import type { BlobRecord, Op } from '@superscalar/persist';
import { decodeExitRecord, EXIT_RECORD_VERSION, encodeExitRecord } from './codec.js';
import { ExitDriver, type ExitRecord } from './driver.js';

/** Options of {@link ExitBook}. */
export interface ExitBookOptions {
  /** Key prefix of the records, e.g. `client/x/` (a record's key is the prefix and the factory id hex). */
  readonly prefix: string;
  /** The role's error for a record written by a newer version (thrown by {@link ExitBook.restore}). */
  readonly newerError: (key: string, message: string) => Error;
}

/**
 * The height from which a completed exit is buried `depth` blocks deep (its last confirmation or
 * loss has `depth` confirmations at that tip), or null while it is not completed.
 */
export function buriedAt(r: ExitRecord, depth: number): number | null {
  if (!r.completed) return null;
  let last = r.startedAt;
  for (const i of r.items) {
    if (i.status === 'confirmed' && i.confirmedAt !== null) last = Math.max(last, i.confirmedAt.height);
    else if (i.status === 'lost' && typeof i.lostAt === 'number') last = Math.max(last, i.lostAt);
  }
  return last + Math.max(1, depth) - 1;
}

/**
 * A role's exits: the drivers by factory id hex, their records' keys and operations. For
 * `@superscalar/lsp` (its `LspExits` extends it) and the client's own `ClientExits`.
 */
export class ExitBook {
  readonly drivers = new Map<string, ExitDriver>();
  /** Restored drivers broadcast what they had in flight with the first input. */
  resend = false;
  /**
   * The chain's tip the block follower leads to (the last block input's `tip`), null when unknown.
   * While the role's tip is below it the blocks are replayed history: broadcasts wait for the tip.
   */
  chainTip: number | null = null;

  /** Notes a block input's `tip` (absent: the block is taken as the tip). */
  noteTip(height: number, tip: number | undefined): void {
    this.chainTip = tip === undefined ? null : Math.max(tip, height);
  }

  /** True while the role's tip `height` is below the chain's tip (replayed history). */
  replaying(height: number | null): boolean {
    return this.chainTip !== null && height !== null && height < this.chainTip;
  }
  readonly #prefix: string;
  readonly #pattern: RegExp;
  readonly #newer: (key: string, message: string) => Error;

  constructor(o: ExitBookOptions) {
    this.#prefix = o.prefix;
    this.#pattern = new RegExp(`^${o.prefix.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}([0-9a-f]{64})$`);
    this.#newer = o.newerError;
  }

  /** Key of a factory's exit record. */
  key(idHex: string): string {
    return `${this.#prefix}${idHex}`;
  }

  /** The put of `d`'s record (written before every broadcast it leads to). */
  recordOp(d: ExitDriver): Op {
    return {
      op: 'put',
      table: 'blobs',
      row: {
        key: this.key(d.record.factoryId),
        version: EXIT_RECORD_VERSION,
        data: encodeExitRecord(d.record),
        secret: false,
      },
    };
  }

  /**
   * The exit records among `blobs` (others are skipped); their drivers re-send what they had in
   * flight with the first input ({@link takeResend}).
   *
   * @throws the role's `newerError` for a record of a newer version; `DecodeError` (`CLIENT_DECODE`)
   * for one that does not decode.
   */
  restore(blobs: Iterable<BlobRecord>): void {
    for (const b of blobs) {
      const m = this.#pattern.exec(b.key);
      if (m === null) continue;
      if (b.version > EXIT_RECORD_VERSION) throw this.#newer(b.key, `version ${b.version} is newer`);
      this.drivers.set(m[1] as string, new ExitDriver(decodeExitRecord(b.key, b.data)));
      this.resend = true;
    }
  }

  /** Once after a restore: the drivers to re-send (`resendAll`); empty otherwise. */
  takeResend(): ExitDriver[] {
    if (!this.resend) return [];
    this.resend = false;
    return [...this.drivers.values()];
  }

  /**
   * Removes the finished exits buried `depth` blocks deep at `tip` whose factory is no longer live
   * (`live` false), and returns their records' deletions.
   */
  prune(o: { readonly tip: number; readonly depth: number; live(idHex: string): boolean }): Op[] {
    const ops: Op[] = [];
    for (const [idHex, d] of [...this.drivers]) {
      const at = buriedAt(d.record, o.depth);
      if (at === null || o.tip < at || o.live(idHex)) continue;
      this.drivers.delete(idHex);
      ops.push({ op: 'delete', table: 'blobs', key: { key: this.key(idHex) } });
    }
    return ops;
  }
}
