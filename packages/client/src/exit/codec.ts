/**
 * The exit driver's stored record: JSON (UTF-8), bytes as `{ "$b": hex }`, bigints as
 * `{ "$n": decimal }`, under a version byte. Both roles store it (`client/x/<factoryId>`,
 * `lsp/x/<factoryId>`), written before every broadcast it leads to.
 *
 * @module
 */
import { fromHex, toHex } from '@superscalar/core';
import { DecodeError } from '../errors.js';
import type { ExitRecord } from './driver.js';

/** Version of the stored exit record. */
export const EXIT_RECORD_VERSION = 1;

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

/** The record's bytes. */
export function encodeExitRecord(r: ExitRecord): Uint8Array {
  return enc.encode(
    JSON.stringify(r, function (this: Record<string, unknown>, k: string, v: unknown) {
      const raw = this[k];
      if (raw instanceof Uint8Array) return { $b: toHex(raw) };
      if (typeof v === 'bigint') return { $n: v.toString() };
      return v;
    }),
  );
}

/**
 * A record from its bytes.
 *
 * @throws {DecodeError} not a record this version writes.
 */
export function decodeExitRecord(key: string, bytes: Uint8Array): ExitRecord {
  let r: unknown;
  try {
    r = JSON.parse(dec.decode(bytes), (_k, v: unknown) => {
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
        const o = v as Record<string, unknown>;
        if (typeof o.$b === 'string' && Object.keys(o).length === 1) return fromHex(o.$b);
        if (typeof o.$n === 'string' && Object.keys(o).length === 1) {
          if (!/^-?\d+$/.test(o.$n)) throw new Error('bad bigint');
          return BigInt(o.$n);
        }
      }
      return v;
    });
  } catch (cause) {
    throw new DecodeError(key, 'the exit record is not JSON of this version', { cause });
  }
  const x = r as Partial<ExitRecord>;
  if (
    typeof x !== 'object' ||
    x === null ||
    typeof x.factoryId !== 'string' ||
    !Array.isArray(x.items) ||
    typeof x.completed !== 'boolean'
  )
    throw new DecodeError(key, 'not an exit record');
  return x as ExitRecord;
}
