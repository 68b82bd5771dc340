// TransportCipher edge cases: chunk boundaries at frame ends, empty pushes, limits, poisoning.
import { describe, expect, it } from 'vitest';
import { CipherState } from '../src/cipherState.js';
import { BadMacError, FrameTooLargeError, InvalidArgumentError } from '../src/errors.js';
import { nodeAead } from '../src/node/aead.js';
import { MAX_MESSAGE_SIZE, TransportCipher } from '../src/transportCipher.js';
import { key, same } from './_helpers.js';

const make = (max?: number) => {
  const rot = { chainingKey: key(2), interval: 1000 };
  return new TransportCipher(
    new CipherState(nodeAead, key(1), rot),
    new CipherState(nodeAead, key(1), rot),
    max,
  );
};

describe('TransportCipher', () => {
  it('a chunk ending exactly at a frame boundary, then a chunk with a header and part of a body', () => {
    const tx = make();
    const rx = make();
    const a = tx.encrypt(new Uint8Array(100).fill(1));
    const b = tx.encrypt(new Uint8Array(100).fill(2));
    expect(rx.push(a)).toHaveLength(1);
    expect(rx.push(new Uint8Array(0))).toEqual([]);
    expect(rx.push(b.subarray(0, 50))).toEqual([]);
    const got = rx.push(b.subarray(50));
    expect(got).toHaveLength(1);
    expect(same(got[0], new Uint8Array(100).fill(2))).toBe(true);
  });

  it('a header split across chunks, and frames delivered byte by byte', () => {
    const tx = make();
    const rx = make();
    const m = Uint8Array.of(7, 8, 9);
    const f = tx.encrypt(m);
    const got: Uint8Array[] = [];
    for (const byte of f) got.push(...rx.push(Uint8Array.of(byte)));
    expect(got).toEqual([m]);
    expect(rx.bufferedBytes).toBe(0);
  });

  it('does not alias the caller’s chunk: mutating it after push does not change the result', () => {
    const tx = make();
    const rx = make();
    const f = tx.encrypt(new Uint8Array(40).fill(5));
    const chunk = Uint8Array.from(f.subarray(0, 30));
    rx.push(chunk);
    chunk.fill(0);
    expect(rx.push(f.subarray(30))).toHaveLength(1);
  });

  it('the empty message and the 65,535-byte message frame and unframe; 65,536 is refused', () => {
    const tx = make();
    const rx = make();
    expect(rx.push(tx.encrypt(new Uint8Array(0)))).toEqual([new Uint8Array(0)]);
    const big = new Uint8Array(MAX_MESSAGE_SIZE).fill(1);
    expect(same(rx.push(tx.encrypt(big))[0], big)).toBe(true);
    expect(() => tx.encrypt(new Uint8Array(MAX_MESSAGE_SIZE + 1))).toThrow(FrameTooLargeError);
  });

  it('after a bad MAC the reader stays failed', () => {
    const rx = make();
    expect(() => rx.push(new Uint8Array(18))).toThrow(BadMacError);
    expect(() => rx.push(new Uint8Array(18))).toThrow(BadMacError);
  });

  it('a limit above 65,535 is an invalid argument', () => {
    expect(() => make(65536)).toThrow(InvalidArgumentError);
  });
});
