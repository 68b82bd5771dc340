// Issue 17.5: a caller bounds each message type's size before decoding, and a decoder checks counts,
// lengths and structure before it spends curve arithmetic on any point.
import { errorClassProblems } from '@superscalar/core/test';
import { describe, expect, it } from 'vitest';
import { pubnonce } from '../scripts/_samples.js';
import * as mod from '../src/index.js';
import {
  DecodeError,
  decodeMessage,
  encodeFrames,
  encodeMessage,
  FragmentError,
  InvalidArgumentError,
  type Message,
  MessageTooLargeError,
  Reassembler,
  WireError,
} from '../src/index.js';
import { err } from './_err.js';

function nonces(n: number, _bad?: number): Message {
  const good = pubnonce('x');
  return {
    type: 'factory_nonces',
    factoryId: new Uint8Array(32).fill(1),
    attempt: 0,
    nonces: Array.from({ length: n }, (_, i) => ({ tx: i, kind: 'state', pubnonce: good })),
    distributionNonces: [],
  } as unknown as Message;
}

describe('error classes', () => {
  it('are tagged so that isInstance is exact', () => {
    expect(errorClassProblems(mod as unknown as Record<string, unknown>, 'wire')).toEqual([]);
    const e = err(() => decodeMessage(new Uint8Array([3])));
    expect(e.code).toBe('WIRE_TRUNCATED');
    expect(DecodeError.isInstance(e)).toBe(true);
    expect(FragmentError.isInstance(e)).toBe(false);
    expect(InvalidArgumentError.isInstance(e)).toBe(false);
    expect(InvalidArgumentError.isInstance(err(() => encodeMessage({ type: 'nope' } as never)))).toBe(true);
  });
});

describe('per-type size bounds (maxSizeByType)', () => {
  const big = encodeMessage(nonces(200));

  it('refuses a message above its type bound before decoding any field', () => {
    const e = err(() => decodeMessage(big, { maxSizeByType: { factory_nonces: 1000 } }));
    expect(MessageTooLargeError.isInstance(e)).toBe(true);
    expect(e.code).toBe('WIRE_MESSAGE_TOO_LARGE');
    expect(e.messageType).toBe(0x0102);
    // Other types keep the general bound; the message decodes without a per-type bound.
    expect(decodeMessage(big, { maxSizeByType: { ping: 10 } }).type).toBe('factory_nonces');
  });

  it('lets the reassembler refuse a first fragment declaring too much for its type, before buffering', () => {
    const huge = encodeMessage(nonces(1500), { maxSize: 1 << 20 });
    expect(huge.length).toBeGreaterThan(65_535);
    const frames = encodeFrames(nonces(1500), { fragmentId: 1n });
    const r = new Reassembler({ maxTotalSizeByType: { factory_nonces: 4096 } });
    const e = err(() => r.receive(frames[0] as Uint8Array));
    expect(e.code).toBe('WIRE_FRAGMENT_TOO_LARGE');
    expect(r.bufferedBytes).toBe(0);
    // Without the per-type bound the same frames reassemble.
    const ok = new Reassembler();
    let out: Message | undefined;
    for (const f of frames) out = ok.receive(f);
    expect(out?.type).toBe('factory_nonces');
  });

  it('refuses a malformed per-type bound as an argument error', () => {
    expect(
      InvalidArgumentError.isInstance(
        err(() => decodeMessage(big, { maxSizeByType: { factory_nonces: 1 } })),
      ),
    ).toBe(true);
  });
});

describe('structure before points', () => {
  it('reports a structural fault, not the first bad point, when both are present', () => {
    const bytes = encodeMessage(nonces(50));
    // Corrupt the x coordinate of the first nonce's first point (no curve point has x = p − 1 … try a
    // few until one is off the curve), then append a stray byte to the record: the structural error wins.
    const good = pubnonce('x');
    const at = bytes.findIndex((_, i) => good.every((b, j) => bytes[i + j] === b));
    expect(at).toBeGreaterThan(0);
    let broken: Uint8Array | undefined;
    for (let v = 0; v < 256 && broken === undefined; v++) {
      const c = Uint8Array.from(bytes);
      c.fill(v, at + 1, at + 33);
      try {
        decodeMessage(c);
      } catch (e) {
        if (WireError.isInstance(e) && e.code === 'WIRE_INVALID_POINT') broken = c;
      }
    }
    expect(broken).toBeDefined();
    // The same bad point in a `nonces` record carrying one stray byte after its last element: the list
    // decoder meets the stray byte only after reading every element, so a decoder that checks points as
    // it reads reports INVALID_POINT; one that checks structure first reports the stray byte.
    const withStray = appendToRecord(broken as Uint8Array, 4n, 0x00);
    const e = err(() => decodeMessage(withStray));
    expect(e.code).not.toBe('WIRE_INVALID_POINT');
    expect(DecodeError.isInstance(e)).toBe(true);
  });
});

// BOLT 1 BigSize (canonical), enough for these tests.
function readBigSize(b: Uint8Array, at: number): [bigint, number] {
  const f = b[at] as number;
  if (f < 0xfd) return [BigInt(f), 1];
  const dv = new DataView(b.buffer, b.byteOffset + at + 1);
  if (f === 0xfd) return [BigInt(dv.getUint16(0)), 3];
  if (f === 0xfe) return [BigInt(dv.getUint32(0)), 5];
  return [dv.getBigUint64(0), 9];
}

function writeBigSize(v: bigint): number[] {
  if (v < 0xfdn) return [Number(v)];
  if (v <= 0xffffn) return [0xfd, Number(v >> 8n), Number(v & 0xffn)];
  return [0xfe, ...[24n, 16n, 8n, 0n].map((s) => Number((v >> s) & 0xffn))];
}

/** `msg` with `byte` appended to the value of its TLV record `type` (its length adjusted). */
function appendToRecord(msg: Uint8Array, type: bigint, byte: number): Uint8Array {
  const out: number[] = [msg[0] as number, msg[1] as number];
  let at = 2;
  while (at < msg.length) {
    const [t, tn] = readBigSize(msg, at);
    const [len, ln] = readBigSize(msg, at + tn);
    const value = msg.subarray(at + tn + ln, at + tn + ln + Number(len));
    out.push(...writeBigSize(t));
    if (t === type) out.push(...writeBigSize(len + 1n), ...value, byte);
    else out.push(...writeBigSize(len), ...value);
    at += tn + ln + Number(len);
  }
  return Uint8Array.from(out);
}
