// BOLT 1's own test vectors: Appendix A (BigSize decoding and encoding) and Appendix B (TLV streams),
// the latter over the n1/n2 test namespaces with their value rules written here on top of
// decodeTlvStream (the namespaces are BOLT's, not ours).
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import {
  decodeBigSize,
  decodeTlvStream,
  encodeBigSize,
  encodeTlvStream,
  type TlvRecord,
} from '../src/index.js';
import { codeOf } from './_err.js';

const h = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s|0x/g, ''), 'hex'));

// Appendix A, verbatim values.
const bigSizeOk: [string, bigint, string][] = [
  ['zero', 0n, '00'],
  ['one byte high', 252n, 'fc'],
  ['two byte low', 253n, 'fd00fd'],
  ['two byte high', 65535n, 'fdffff'],
  ['four byte low', 65536n, 'fe00010000'],
  ['four byte high', 4294967295n, 'feffffffff'],
  ['eight byte low', 4294967296n, 'ff0000000100000000'],
  ['eight byte high', 18446744073709551615n, 'ffffffffffffffffff'],
];
const bigSizeBad: [string, string, string][] = [
  ['two byte not canonical', 'fd00fc', 'WIRE_NON_CANONICAL_BIGSIZE'],
  ['four byte not canonical', 'fe0000ffff', 'WIRE_NON_CANONICAL_BIGSIZE'],
  ['eight byte not canonical', 'ff00000000ffffffff', 'WIRE_NON_CANONICAL_BIGSIZE'],
  ['two byte short read', 'fd00', 'WIRE_TRUNCATED'],
  ['four byte short read', 'feffff', 'WIRE_TRUNCATED'],
  ['eight byte short read', 'ffffffffff', 'WIRE_TRUNCATED'],
  ['one byte no read', '', 'WIRE_TRUNCATED'],
  ['two byte no read', 'fd', 'WIRE_TRUNCATED'],
  ['four byte no read', 'fe', 'WIRE_TRUNCATED'],
  ['eight byte no read', 'ff', 'WIRE_TRUNCATED'],
];

const code = (f: () => unknown): string => codeOf(f, 'OK');

describe('BOLT 1 Appendix A: BigSize', () => {
  for (const [name, value, bytes] of bigSizeOk) {
    it(`decodes and encodes "${name}"`, () => {
      expect(decodeBigSize(h(bytes))).toEqual({ value, next: bytes.length / 2 });
      expect(Buffer.from(encodeBigSize(value)).toString('hex')).toBe(bytes);
    });
  }
  for (const [name, bytes, expected] of bigSizeBad) {
    it(`rejects "${name}" with ${expected}`, () => {
      expect(code(() => decodeBigSize(h(bytes)))).toBe(expected);
    });
  }
  it('encodes numbers like bigints and rejects values outside 0..2^64 − 1', () => {
    expect(encodeBigSize(253)).toEqual(encodeBigSize(253n));
    expect(code(() => encodeBigSize(-1n))).toBe('WIRE_INVALID_ARGUMENT');
    expect(code(() => encodeBigSize(1n << 64n))).toBe('WIRE_INVALID_ARGUMENT');
    expect(code(() => encodeBigSize(1.5))).toBe('WIRE_INVALID_ARGUMENT');
  });
});

// The n1 and n2 namespaces of Appendix B.
const tu64 = (v: Uint8Array) => {
  if (v.length > 8) throw new Error('tu64 too long');
  if (v.length > 0 && v[0] === 0) throw new Error('tu64 not minimal');
  return v.reduce((a, b) => (a << 8n) | BigInt(b), 0n);
};
const n1Known = (t: bigint) => t === 1n || t === 2n || t === 3n || t === 254n;
const n2Known = (t: bigint) => t === 0n || t === 11n;
function decodeN1(bytes: Uint8Array): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of decodeTlvStream(bytes, { isKnown: n1Known })) {
    if (r.type === 1n) out.tlv1 = tu64(r.value);
    else if (r.type === 2n) {
      if (r.value.length !== 8) throw new Error('tlv2 length');
      out.tlv2 = Buffer.from(r.value).toString('hex');
    } else if (r.type === 3n) {
      if (r.value.length !== 49) throw new Error('tlv3 length');
      secp256k1.Point.fromBytes(r.value.subarray(0, 33));
      out.tlv3 = Buffer.from(r.value).toString('hex');
    } else if (r.type === 254n) {
      if (r.value.length !== 2) throw new Error('tlv4 length');
      out.tlv4 = (r.value[0]! << 8) | r.value[1]!;
    }
  }
  return out;
}
function decodeN2(bytes: Uint8Array): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of decodeTlvStream(bytes, { isKnown: n2Known })) {
    if (r.type === 0n) out.tlv1 = tu64(r.value);
    else if (r.type === 11n) {
      if (r.value.length > 4) throw new Error('tu32 too long');
      out.tlv2 = tu64(r.value);
    }
  }
  return out;
}
const fails = (f: () => unknown) => {
  expect(f).toThrow();
};

describe('BOLT 1 Appendix B: TLV streams', () => {
  const anyNamespace = [
    'fd',
    'fd01',
    'fd0001 00',
    'fd0101',
    '0f fd',
    '0f fd26',
    '0f fd2602',
    '0f fd0001 00',
    `0f fd0201 ${'00'.repeat(256)}`,
  ];
  const codes = [
    'WIRE_TRUNCATED',
    'WIRE_TRUNCATED',
    'WIRE_NON_CANONICAL_BIGSIZE',
    'WIRE_TRUNCATED',
    'WIRE_TRUNCATED',
    'WIRE_TRUNCATED',
    'WIRE_TLV_LENGTH_OVERRUN',
    'WIRE_NON_CANONICAL_BIGSIZE',
    'WIRE_TLV_LENGTH_OVERRUN',
  ];
  anyNamespace.forEach((s, i) => {
    it(`fails in any namespace: ${s.slice(0, 24)} (${codes[i]})`, () => {
      expect(code(() => decodeTlvStream(h(s), { isKnown: n1Known }))).toBe(codes[i]);
      expect(code(() => decodeTlvStream(h(s), { isKnown: n2Known }))).toBe(codes[i]);
    });
  });
  for (const s of ['12 00', 'fd0102 00', 'fe01000002 00', 'ff0100000000000002 00']) {
    it(`fails on an unknown even type in either namespace: ${s}`, () => {
      expect(code(() => decodeTlvStream(h(s), { isKnown: n1Known }))).toBe('WIRE_UNKNOWN_EVEN_TLV');
      expect(code(() => decodeTlvStream(h(s), { isKnown: n2Known }))).toBe('WIRE_UNKNOWN_EVEN_TLV');
    });
  }
  it('fails on the n1 value rules of Appendix B', () => {
    for (const s of [
      '01 09 ffffffffffffffffff',
      '01 01 00',
      '01 02 0001',
      '01 08 0001000000000000',
      '02 07 01010101010101',
      '02 09 010101010101010101',
      '03 21 023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb',
      '03 31 043da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb00000000000000010000000000000002',
      'fd00fe 00',
      'fd00fe 03 010101',
      '00 00',
    ])
      fails(() => decodeN1(h(s)));
  });
  it('decodes the valid streams of Appendix B', () => {
    for (const s of [
      '',
      '21 00',
      'fd0201 00',
      'fd00fd 00',
      'fd00ff 00',
      'fe02000001 00',
      'ff0200000000000001 00',
    ]) {
      expect(decodeN1(h(s))).toEqual({});
      expect(decodeN2(h(s))).toEqual({});
    }
    expect(decodeN1(h('01 00'))).toEqual({ tlv1: 0n });
    expect(decodeN1(h('01 08 0100000000000000'))).toEqual({ tlv1: 72057594037927936n });
    expect(decodeN1(h('02 08 0000000000000226'))).toEqual({ tlv2: '0000000000000226' });
    expect(decodeN1(h('fd00fe 02 0226'))).toEqual({ tlv4: 550 });
    expect(
      decodeN1(
        h(
          '03 31 023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb00000000000000010000000000000002',
        ),
      ),
    ).toHaveProperty('tlv3');
  });
  it('fails on the ordering violations of Appendix B', () => {
    expect(code(() => decodeN1(h('02 08 0000000000000226 01 01 2a')))).toBe('WIRE_TLV_ORDER');
    expect(code(() => decodeN1(h('02 08 0000000000000231 02 08 0000000000000451')))).toBe('WIRE_TLV_ORDER');
    expect(code(() => decodeN1(h('1f 00 0f 01 2a')))).toBe('WIRE_TLV_ORDER');
    expect(code(() => decodeN1(h('1f 00 1f 01 2a')))).toBe('WIRE_TLV_ORDER');
    expect(code(() => decodeN2(h('ffffffffffffffffff 00 00 00')))).toBe('WIRE_TLV_ORDER');
  });
  it('encodes records minimally and refuses types that do not strictly increase', () => {
    const recs: TlvRecord[] = [
      { type: 1n, value: h('2a') },
      { type: 0xfdn, value: new Uint8Array(0) },
      { type: 0x10001n, value: new Uint8Array(300) },
    ];
    const s = encodeTlvStream(recs);
    expect(Buffer.from(s.subarray(0, 7)).toString('hex')).toBe('01012afd00fd00');
    expect(decodeTlvStream(s)).toEqual(recs);
    expect(code(() => encodeTlvStream([recs[1]!, recs[0]!]))).toBe('WIRE_INVALID_ARGUMENT');
    expect(code(() => encodeTlvStream([recs[0]!, recs[0]!]))).toBe('WIRE_INVALID_ARGUMENT');
  });
});
