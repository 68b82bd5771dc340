// The reader's rules, one by one, on hand-built invoices (test/_craft.ts signs whatever words it is
// given, so each check behind the signature is reached): what BOLT 11 says to fail fails with its
// reason, what it says to skip is kept and skipped, and the stricter choices are as documented.
import { describe, expect, it } from 'vitest';
import {
  DecodeError,
  type DecodeReason,
  decodeInvoice,
  encodeInvoice,
  INVOICE_FEATURES,
  verifyInvoice,
} from '../src/index.js';
import {
  BASE,
  craft,
  D,
  HASH,
  OTHER,
  P,
  PAYEE,
  type RawField,
  S,
  SECRET,
  text,
  uint,
  words,
} from './_craft.js';

function reasonOf(invoice: string): DecodeReason | 'ok' {
  try {
    decodeInvoice(invoice);
    return 'ok';
  } catch (e) {
    if (!DecodeError.isInstance(e)) throw e;
    return e.reason;
  }
}
const fieldOf = (invoice: string): string | undefined => {
  try {
    decodeInvoice(invoice);
  } catch (e) {
    return (e as DecodeError).field;
  }
  return undefined;
};
const feature = (bits: number[]): RawField => {
  const max = Math.max(...bits);
  const ws = new Array<number>(Math.floor(max / 5) + 1).fill(0);
  for (const b of bits) {
    const at = ws.length - 1 - Math.floor(b / 5);
    ws[at] = (ws[at] as number) | (1 << (b % 5));
  }
  return ['9', ws];
};
const hop = (pubkey: Uint8Array, extra = 0): Uint8Array => {
  const b = new Uint8Array(51 + extra);
  b.set(pubkey);
  b.set([0, 0, 1, 0, 0, 2, 0, 3], 33); // scid 1x2x3
  b.set([0, 0, 3, 232], 41); // fee base 1000
  b.set([0, 0, 0, 100], 45); // 100 ppm
  b.set([0, 144], 49); // cltv delta 144
  return b;
};

describe('a minimal invoice', () => {
  it('decodes with BOLT 11 defaults: expiry 3600, min_final_cltv_expiry_delta 18, no features', () => {
    const inv = decodeInvoice(craft('lnbcrt', BASE));
    expect(inv.network).toBe('regtest');
    expect(inv.amountMsat).toBeUndefined();
    expect(inv.multiplier).toBeUndefined();
    expect([inv.expiry, inv.minFinalCltvExpiryDelta]).toEqual([3600, 18]);
    expect(inv.features).toEqual([]);
    expect([inv.fallbacks, inv.routeHints]).toEqual([[], []]);
    expect(inv.paymentHash).toEqual(HASH);
    expect(inv.paymentSecret).toEqual(SECRET);
    expect(inv.description).toBe('coffee');
    expect(inv.payeeNodeId).toEqual(PAYEE);
  });

  it('accepts every network prefix and refuses others', () => {
    expect(decodeInvoice(craft('lnbc', BASE)).network).toBe('mainnet');
    expect(decodeInvoice(craft('lntb', BASE)).network).toBe('testnet4');
    expect(decodeInvoice(craft('lntbs', BASE)).network).toBe('signet');
    expect(decodeInvoice(craft('lntbs10u', BASE)).amountMsat).toBe(1_000_000n);
    expect(decodeInvoice(craft('lnbcrt1', BASE)).amountMsat).toBe(100_000_000_000n);
    for (const hrp of ['lnsb', 'lnxy', 'bc', 'lnbcx', 'lntbsx', 'ln', 'xxbc'])
      expect(reasonOf(craft(hrp, BASE)), hrp).toBe('prefix');
  });

  it('lifts the 90-character limit: a 2,000-character invoice decodes', () => {
    const hops = new Uint8Array(51 * 12);
    for (let i = 0; i < 12; i++) hops.set(hop(PAYEE), i * 51);
    const s = craft('lnbc', [...BASE, ['r', words(hops)]]);
    expect(s.length).toBeGreaterThan(1100);
    expect(decodeInvoice(s).routeHints[0]).toHaveLength(12);
    const long = craft('lnbc', [P, S, ['d', text('é'.repeat(319))], ['r', words(hops)], ['r', words(hops)]]);
    expect(long.length).toBeGreaterThan(2000);
    expect(decodeInvoice(long).routeHints).toHaveLength(2);
  });
});

describe('bech32 and framing', () => {
  const good = craft('lnbc', BASE);
  it('upper case decodes; mixed case, a foreign character or no separator is `bech32`', () => {
    expect(decodeInvoice(good.toUpperCase()).description).toBe('coffee');
    expect(reasonOf(`L${good.slice(1)}`)).toBe('bech32');
    expect(reasonOf(good.replace(/q/, 'b'))).toBe('bech32');
    expect(reasonOf(good.replaceAll('1', 'q'))).toBe('bech32');
    expect(reasonOf(`${good.slice(0, 5)}1abc`)).toBe('bech32');
  });
  it('a changed character is `checksum`', () => {
    const i = good.length - 20;
    const c = good[i] === 'q' ? 'p' : 'q';
    expect(reasonOf(good.slice(0, i) + c + good.slice(i + 1))).toBe('checksum');
  });
  it('no room for timestamp and signature is `too-short`', async () => {
    const { bech32 } = await import('@scure/base');
    expect(reasonOf(bech32.encode('lnbc', new Array(110).fill(0), false))).toBe('too-short');
  });
  it('a field running into the signature is `field-truncated`', async () => {
    const { bech32 } = await import('@scure/base');
    const s = craft('lnbc', [...BASE, ['2', new Array(60).fill(0)]]);
    const { prefix, words: ws } = bech32.decode(s as `${string}1${string}`, false);
    const at = ws.length - 104 - 63; // the unknown field's header
    const patched = [...ws];
    patched[at + 1] = 31; // data_length 1023
    patched[at + 2] = 31;
    expect(reasonOf(bech32.encode(prefix, patched, false))).toBe('field-truncated');
    // A header cut short by the signature (two words left before it).
    const cut = [...ws.slice(0, at), 2, 0, ...ws.slice(ws.length - 104)];
    expect(reasonOf(bech32.encode(prefix, cut, false))).toBe('field-truncated');
  });
});

describe('fixed-length fields (BOLT 11: MUST fail when p, h, s, n have the wrong length)', () => {
  for (const [letter, n] of [
    ['p', 52],
    ['s', 52],
    ['h', 52],
    ['n', 53],
  ] as const) {
    for (const len of [0, n - 1, n + 1]) {
      it(`${letter} with ${len} words is field-length`, () => {
        const fields: RawField[] =
          letter === 'h'
            ? [P, S, [letter, new Array(len).fill(0)]]
            : [...BASE, [letter, new Array(len).fill(0)]];
        const s = craft('lnbc', fields);
        expect(reasonOf(s)).toBe('field-length');
        expect(fieldOf(s)).toBe(letter);
      });
    }
  }
  it('non-zero padding bits in p are field-value', () => {
    const p = [...(P[1] as number[])];
    p[51] = (p[51] as number) | 1; // the last word carries 4 bits of padding
    expect(reasonOf(craft('lnbc', [['p', p], S, D]))).toBe('field-value');
  });
});

describe('invoice-level rules', () => {
  it('needs p and s, and exactly one of d and h', () => {
    expect(reasonOf(craft('lnbc', [S, D]))).toBe('missing-field');
    expect(reasonOf(craft('lnbc', [P, D]))).toBe('missing-field');
    expect(fieldOf(craft('lnbc', [P, D]))).toBe('s');
    expect(reasonOf(craft('lnbc', [P, S]))).toBe('missing-field');
    expect(reasonOf(craft('lnbc', [...BASE, ['h', words(HASH)]]))).toBe('conflicting-fields');
    expect(decodeInvoice(craft('lnbc', [P, S, ['h', words(HASH)]])).descriptionHash).toEqual(HASH);
  });
  it('refuses a repeated single field (stricter than BOLT 11), keeps repeated f and r in order', () => {
    const singles: RawField[] = [
      P,
      S,
      D,
      ['x', uint(60)],
      ['c', uint(40)],
      feature([9]),
      ['m', words(Uint8Array.of(1))],
      ['n', words(PAYEE)],
    ];
    for (const f of singles) {
      const fields = [...BASE.filter((b) => b !== f), f, f];
      expect(reasonOf(craft('lnbc', fields)), f[0]).toBe('duplicate-field');
      expect(fieldOf(craft('lnbc', fields)), f[0]).toBe(f[0]);
    }
    const f1: RawField = ['f', [17, ...words(new Uint8Array(20).fill(1))]];
    const f2: RawField = ['f', [0, ...words(new Uint8Array(32).fill(2))]];
    const r1: RawField = ['r', words(hop(PAYEE))];
    const r2: RawField = ['r', words(hop(OTHER))];
    const inv = decodeInvoice(craft('lnbc', [...BASE, f1, r1, f2, r2]));
    expect(inv.fallbacks.map((f) => f.version)).toEqual([17, 0]);
    expect(inv.routeHints.map((r) => r[0]?.pubkey)).toEqual([PAYEE, OTHER]);
  });
});

describe('variable fields', () => {
  it('x and c: minimal big-endian words; a leading zero word is non-minimal; empty is 0', () => {
    const inv = decodeInvoice(craft('lnbc', [...BASE, ['x', uint(604800)], ['c', uint(1080)]]));
    expect([inv.expiry, inv.minFinalCltvExpiryDelta]).toEqual([604800, 1080]);
    expect(reasonOf(craft('lnbc', [...BASE, ['x', [0, 1]]]))).toBe('non-minimal');
    expect(reasonOf(craft('lnbc', [...BASE, ['c', [0, 18]]]))).toBe('non-minimal');
    expect(decodeInvoice(craft('lnbc', [...BASE, ['x', []]])).expiry).toBe(0);
    expect(reasonOf(craft('lnbc', [...BASE, ['x', new Array(11).fill(31)]]))).toBe('field-value');
    expect(decodeInvoice(craft('lnbc', [...BASE, ['x', uint(Number.MAX_SAFE_INTEGER)]])).expiry).toBe(
      Number.MAX_SAFE_INTEGER,
    );
  });
  it('d must be UTF-8 without a spare padding word', () => {
    expect(decodeInvoice(craft('lnbc', [P, S, ['d', text('ナンセンス 1杯')]])).description).toBe(
      'ナンセンス 1杯',
    );
    expect(decodeInvoice(craft('lnbc', [P, S, ['d', []]])).description).toBe('');
    expect(reasonOf(craft('lnbc', [P, S, ['d', words(Uint8Array.of(0xc3, 0x28))]]))).toBe('field-value');
    expect(reasonOf(craft('lnbc', [P, S, ['d', [...text('a'), 0]]]))).toBe('field-value');
  });
  it('m is bytes', () => {
    expect(
      decodeInvoice(craft('lnbc', [...BASE, ['m', words(Uint8Array.of(1, 0xfa, 0xfa, 0xf0))]])).metadata,
    ).toEqual(Uint8Array.of(1, 0xfa, 0xfa, 0xf0));
  });
  it('n: must be a valid key; used instead of recovery; low-S required with it, high-S accepted without', () => {
    expect(decodeInvoice(craft('lnbc', [...BASE, ['n', words(PAYEE)]])).payeeNodeId).toEqual(PAYEE);
    const notOnCurve = new Uint8Array(33).fill(0);
    notOnCurve[0] = 2;
    notOnCurve[32] = 5; // x = 5 has no point on secp256k1
    expect(reasonOf(craft('lnbc', [...BASE, ['n', words(notOnCurve)]]))).toBe('field-value');
    expect(reasonOf(craft('lnbc', [...BASE, ['n', words(OTHER)]]))).toBe('signature');
    expect(reasonOf(craft('lnbc', [...BASE, ['n', words(PAYEE)]], { highS: true }))).toBe('signature');
    const highS = decodeInvoice(craft('lnbc', BASE, { highS: true }));
    expect(highS.payeeNodeId).toEqual(PAYEE);
    expect(encodeInvoice(highS)).toBe(craft('lnbc', BASE, { highS: true }));
  });
  it('the recovery id must be 0-3; a wrong one recovers another key or none', () => {
    expect(reasonOf(craft('lnbc', BASE, { recoveryId: 4 }))).toBe('signature');
    const inv = decodeInvoice(craft('lnbc', BASE));
    const flipped = craft('lnbc', BASE, { recoveryId: inv.recoveryId ^ 1 });
    expect(decodeInvoice(flipped).payeeNodeId).not.toEqual(PAYEE);
    expect(verifyInvoice(flipped, PAYEE)).toBe(false);
  });
  it('f: versions 0-16, 17 (P2PKH), 18 (P2SH) with valid programs; 19-31 kept as unknown and skipped', () => {
    const ok: [number, number][] = [
      [0, 20],
      [0, 32],
      [1, 32],
      [16, 2],
      [16, 40],
      [17, 20],
      [18, 20],
    ];
    for (const [v, n] of ok)
      expect(
        decodeInvoice(craft('lnbc', [...BASE, ['f', [v, ...words(new Uint8Array(n).fill(3))]]])).fallbacks,
      ).toEqual([{ version: v, program: new Uint8Array(n).fill(3) }]);
    for (const [v, n] of [
      [0, 21],
      [1, 1],
      [2, 41],
      [17, 19],
      [18, 32],
    ] as const)
      expect(reasonOf(craft('lnbc', [...BASE, ['f', [v, ...words(new Uint8Array(n))]]])), `${v}/${n}`).toBe(
        'field-value',
      );
    expect(reasonOf(craft('lnbc', [...BASE, ['f', []]]))).toBe('field-value');
    const future = craft('lnbc', [...BASE, ['f', [19, 1, 2, 3]]]);
    const inv = decodeInvoice(future);
    expect(inv.fallbacks).toEqual([]);
    expect(inv.fields[3]).toEqual({ type: 'unknown', tag: 9, words: [19, 1, 2, 3] });
    expect(encodeInvoice(inv)).toBe(future);
  });
  it('r: whole 51-byte hops with valid keys', () => {
    const inv = decodeInvoice(craft('lnbc', [...BASE, ['r', words(hop(OTHER))]]));
    expect(inv.routeHints).toEqual([
      [
        {
          pubkey: OTHER,
          shortChannelId: Uint8Array.of(0, 0, 1, 0, 0, 2, 0, 3),
          feeBaseMsat: 1000,
          feeProportionalMillionths: 100,
          cltvExpiryDelta: 144,
        },
      ],
    ]);
    expect(reasonOf(craft('lnbc', [...BASE, ['r', words(hop(OTHER, 1))]]))).toBe('field-value');
    expect(reasonOf(craft('lnbc', [...BASE, ['r', []]]))).toBe('field-value');
    expect(reasonOf(craft('lnbc', [...BASE, ['r', words(hop(new Uint8Array(33)))]]))).toBe('field-value');
  });
  it('unknown fields are kept verbatim and re-encode identically', () => {
    const s = craft('lnbc', [['2', [0, 0, 0]], ...BASE, ['v', [31]], ['q', []]]);
    const inv = decodeInvoice(s);
    expect(inv.fields.filter((f) => f.type === 'unknown')).toEqual([
      { type: 'unknown', tag: 10, words: [0, 0, 0] },
      { type: 'unknown', tag: 12, words: [31] },
      { type: 'unknown', tag: 0, words: [] },
    ]);
    expect(encodeInvoice(inv)).toBe(s);
  });
});

describe('features (9)', () => {
  it('ascending bit numbers; unknown odd bits kept, unknown even bits refused, known even bits accepted', () => {
    expect(decodeInvoice(craft('lnbc', [...BASE, feature([8, 14, 99])])).features).toEqual([8, 14, 99]);
    for (const bit of Object.values(INVOICE_FEATURES))
      expect(decodeInvoice(craft('lnbc', [...BASE, feature([bit])])).features).toEqual([bit]);
    for (const bit of [0, 2, 10, 12, 18, 100, 1022]) {
      const s = craft('lnbc', [...BASE, feature([9, bit])]);
      expect(reasonOf(s), String(bit)).toBe('unknown-feature');
    }
  });
  it('a leading zero word or an empty field is non-minimal', () => {
    expect(reasonOf(craft('lnbc', [...BASE, ['9', [0, ...(feature([9])[1] as number[])]]]))).toBe(
      'non-minimal',
    );
    expect(reasonOf(craft('lnbc', [...BASE, ['9', []]]))).toBe('non-minimal');
  });
});

describe('amounts', () => {
  it('every multiplier, the pico rule, leading zeros and zero', () => {
    const cases: [string, bigint | DecodeReason][] = [
      ['lnbc1', 100_000_000_000n],
      ['lnbc1m', 100_000_000n],
      ['lnbc1u', 100_000n],
      ['lnbc1n', 100n],
      ['lnbc10p', 1n],
      ['lnbc2000u', 200_000_000n],
      ['lnbc21000000', 2_100_000_000_000_000_000n],
      ['lnbc21000001', 'amount'],
      ['lnbc11p', 'amount'],
      ['lnbc1p', 'amount'],
      ['lnbc0', 'amount'],
      ['lnbc0m', 'amount'],
      ['lnbc01m', 'amount'],
      ['lnbc1mm', 'amount'],
      ['lnbc1k', 'amount'],
    ];
    for (const [hrp, want] of cases) {
      const s = craft(hrp, BASE);
      if (typeof want === 'bigint') expect(decodeInvoice(s).amountMsat, hrp).toBe(want);
      else expect(reasonOf(s), hrp).toBe(want);
    }
  });
  it('keeps a non-shortest multiplier, so the invoice re-encodes and verifies', () => {
    const s = craft('lnbc2000u', BASE);
    const inv = decodeInvoice(s);
    expect([inv.amountMsat, inv.multiplier]).toEqual([200_000_000n, 'u']);
    expect(encodeInvoice(inv)).toBe(s);
    expect(verifyInvoice(inv, PAYEE)).toBe(true);
    const { multiplier: _m, ...shortest } = inv;
    expect(encodeInvoice(shortest).startsWith('lnbc2m1')).toBe(true);
    expect(verifyInvoice(shortest)).toBe(true); // recovers some key …
    expect(verifyInvoice(shortest, PAYEE)).toBe(false); // … not the payee's: the signed hrp differs
  });
});
