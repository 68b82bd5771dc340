// The deterministic update stream of the crash test, and an in-memory model of the store after the
// first `n` updates. Child and parent both derive update `id` from `id` alone, so the parent knows
// exactly what every acknowledged update wrote.
import type { Op } from '../src/index.js';

const b = (n: number, len = 32) => new Uint8Array(len).fill(n & 0xff);

/** The operations of update `id` (a channel step: a few rows, a 1–4 KiB blob, an event). */
export function crashOps(id: bigint): Op[] {
  const n = Number(id);
  const ch = n % 5;
  const blobLen = 1024 + ((n * 997) % 3073);
  const data = new Uint8Array(blobLen);
  for (let i = 0; i < blobLen; i++) data[i] = (n * 31 + i) & 0xff;
  const ops: Op[] = [
    {
      op: 'put',
      table: 'channels',
      row: {
        channelId: b(ch),
        factoryId: b(7),
        localSats: id * 1000n,
        remoteSats: 10n ** 8n - id,
        commitmentNumber: Number(id),
        state: `s${n}`,
      },
    },
    { op: 'put', table: 'blobs', row: { key: `chan/${ch}`, version: 1, data, secret: n % 2 === 0 } },
    { op: 'event', kind: 'step', payload: b(n, 8) },
  ];
  if (n % 3 === 0)
    ops.push({
      op: 'put',
      table: 'htlcs',
      row: {
        channelId: b(ch),
        direction: 'offered',
        htlcId: id,
        amountMsat: id * 7n,
        paymentHash: b(n),
        cltvExpiry: 800_000 + n,
        state: 'pending',
      },
    });
  if (n % 3 === 1 && n > 6)
    ops.push({
      op: 'delete',
      table: 'htlcs',
      key: { channelId: b((n - 4) % 5), direction: 'offered', htlcId: id - 4n },
    });
  if (n % 10 === 0)
    ops.push({
      op: 'put',
      table: 'lstockSecrets',
      row: { factoryId: b(7), c: Number(id), secret: b(n + 1) },
    });
  return ops;
}

/** Rows per table after applying updates 1..n, keyed by primary key. */
export class CrashModel {
  last = 0n;
  readonly tables = new Map<string, Map<string, Record<string, unknown>>>();
  static readonly keys: Record<string, string[]> = {
    channels: ['channelId'],
    blobs: ['key'],
    htlcs: ['channelId', 'direction', 'htlcId'],
    lstockSecrets: ['factoryId', 'c'],
  };

  private static key(table: string, row: Record<string, unknown>): string {
    return (CrashModel.keys[table] ?? [])
      .map((k) => {
        const v = row[k];
        return v instanceof Uint8Array ? Array.from(v).join('.') : String(v);
      })
      .join('|');
  }

  advanceTo(n: bigint): void {
    while (this.last < n) {
      this.last += 1n;
      for (const o of crashOps(this.last)) {
        if (o.op === 'event') continue;
        const t = this.tables.get(o.table) ?? new Map();
        this.tables.set(o.table, t);
        if (o.op === 'put')
          t.set(
            CrashModel.key(o.table, o.row as unknown as Record<string, unknown>),
            o.row as unknown as Record<string, unknown>,
          );
        else t.delete(CrashModel.key(o.table, o.key as unknown as Record<string, unknown>));
      }
    }
  }

  /** The model's rows of `table`, sorted like the store's `list` (by primary key bytes/values). */
  rows(table: string): Record<string, unknown>[] {
    return [...(this.tables.get(table)?.values() ?? [])];
  }
}
