// The writer: signInvoice / encodeInvoice refuse what a reader would refuse (InvalidArgumentError with
// the argument's path), write amounts the shortest way, sign low-S deterministically; the helpers.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import {
  amountMsat,
  DecodeError,
  decodeInvoice,
  encodeAmount,
  encodeInvoice,
  InvalidArgumentError,
  invoiceExpired,
  invoicePrefix,
  invoiceSigningHash,
  MAX_AMOUNT_MSAT,
  type SignedInvoice,
  signInvoice,
  type TaggedField,
  type UnsignedInvoice,
  verifyInvoice,
} from '../src/index.js';
import { HASH, OTHER, PAYEE, SECRET, SK } from './_craft.js';

const base: UnsignedInvoice = {
  network: 'regtest',
  amountMsat: 1_000_000n,
  timestamp: 1_700_000_000,
  fields: [
    { type: 'paymentHash', value: HASH },
    { type: 'paymentSecret', value: SECRET },
    { type: 'description', value: 'coffee' },
  ],
};
const withFields = (...extra: TaggedField[]): UnsignedInvoice => ({
  ...base,
  fields: [...base.fields, ...extra],
});

function argumentOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (!InvalidArgumentError.isInstance(e)) throw e;
    return e.argument;
  }
  throw new Error('did not throw');
}

describe('signInvoice and encodeInvoice', () => {
  it('sign → encode → decode gives the same invoice, signed by the key, low-S, deterministically', () => {
    const signed = signInvoice(base, SK);
    const text = encodeInvoice(signed);
    expect(text.startsWith('lnbcrt10u1')).toBe(true);
    expect(decodeInvoice(text)).toEqual(signed);
    expect(signed.payeeNodeId).toEqual(PAYEE);
    expect(encodeInvoice(signInvoice(base, SK))).toBe(text);
    expect(secp256k1.Signature.fromBytes(signed.signature, 'compact').hasHighS()).toBe(false);
    expect(verifyInvoice(text, PAYEE)).toBe(true);
    expect(verifyInvoice(signed, PAYEE)).toBe(true);
  });

  it('does not touch the caller’s key bytes', () => {
    const sk = Uint8Array.from(SK);
    signInvoice(base, sk);
    expect(sk).toEqual(SK);
  });

  it('returns fresh arrays and features ascending: the result equals its own decoding', () => {
    const hash = Uint8Array.from(HASH);
    const unsorted = withFields({ type: 'features', value: [15, 9, 49] });
    const inv = signInvoice(
      { ...unsorted, fields: [{ type: 'paymentHash', value: hash }, ...unsorted.fields.slice(1)] },
      SK,
    );
    expect(decodeInvoice(encodeInvoice(inv))).toEqual(inv);
    expect(inv.features).toEqual([9, 15, 49]);
    hash.fill(0);
    expect(inv.paymentHash).toEqual(HASH);
  });

  it('invoiceSigningHash + an outside signature encodes the same invoice', () => {
    const hash = invoiceSigningHash(base);
    const rec = secp256k1.sign(hash, SK, { prehash: false, format: 'recovered' });
    const text = encodeInvoice({ ...base, signature: rec.slice(1), recoveryId: rec[0] as number });
    expect(text).toBe(encodeInvoice(signInvoice(base, SK)));
  });

  it('with an n field, signs only with its key', () => {
    expect(signInvoice(withFields({ type: 'payeeNodeId', value: PAYEE }), SK).payeeNodeId).toEqual(PAYEE);
    expect(argumentOf(() => signInvoice(withFields({ type: 'payeeNodeId', value: OTHER }), SK))).toBe(
      'invoice.fields',
    );
  });

  it('refuses what a reader would refuse, naming the argument', () => {
    const cases: [string, () => unknown][] = [
      ['invoice.fields', () => signInvoice({ ...base, fields: base.fields.slice(1) }, SK)],
      ['invoice.fields', () => signInvoice({ ...base, fields: base.fields.slice(0, 2) }, SK)],
      ['invoice.fields', () => signInvoice(withFields({ type: 'descriptionHash', value: HASH }), SK)],
      [
        'invoice.fields',
        () => signInvoice(withFields({ type: 'expiry', value: 1 }, { type: 'expiry', value: 2 }), SK),
      ],
      [
        'invoice.fields[0].value',
        () =>
          signInvoice(
            {
              ...base,
              fields: [{ type: 'paymentHash', value: new Uint8Array(31) }, ...base.fields.slice(1)],
            },
            SK,
          ),
      ],
      ['invoice.fields[3].value', () => signInvoice(withFields({ type: 'features', value: [] }), SK)],
      [
        'invoice.fields[3].value[1]',
        () => signInvoice(withFields({ type: 'features', value: [9, 100] }), SK),
      ],
      ['invoice.fields[3].value[1]', () => signInvoice(withFields({ type: 'features', value: [9, 9] }), SK)],
      [
        'invoice.fields[3].value',
        () => signInvoice(withFields({ type: 'description', value: 'x'.repeat(640) }), SK),
      ],
      [
        'invoice.fields[3].value',
        () => signInvoice(withFields({ type: 'metadata', value: new Uint8Array(640) }), SK),
      ],
      ['invoice.fields[3].value', () => signInvoice(withFields({ type: 'routeHint', value: [] }), SK)],
      ['invoice.fields[3].value', () => signInvoice(withFields({ type: 'expiry', value: -1 }), SK)],
      [
        'invoice.fields[3].value.program',
        () =>
          signInvoice(
            withFields({ type: 'fallback', value: { version: 17, program: new Uint8Array(32) } }),
            SK,
          ),
      ],
      [
        'invoice.fields[3].value.version',
        () =>
          signInvoice(
            withFields({ type: 'fallback', value: { version: 19, program: new Uint8Array(32) } }),
            SK,
          ),
      ],
      ['invoice.fields[3].tag', () => signInvoice(withFields({ type: 'unknown', tag: 1, words: [] }), SK)],
      ['invoice.fields[3].tag', () => signInvoice(withFields({ type: 'unknown', tag: 9, words: [18] }), SK)],
      [
        'invoice.fields[3].words[0]',
        () => signInvoice(withFields({ type: 'unknown', tag: 2, words: [32] }), SK),
      ],
      [
        'invoice.fields[2].value',
        () =>
          signInvoice(
            { ...base, fields: [...base.fields.slice(0, 2), { type: 'description', value: '\ud800' }] },
            SK,
          ),
      ],
      ['invoice.amountMsat', () => signInvoice({ ...base, amountMsat: 0n }, SK)],
      ['invoice.amountMsat', () => signInvoice({ ...base, amountMsat: MAX_AMOUNT_MSAT + 1n }, SK)],
      ['invoice.multiplier', () => signInvoice({ ...base, multiplier: 'm' }, SK)],
      ['invoice.multiplier', () => signInvoice({ ...base, amountMsat: undefined, multiplier: 'u' }, SK)],
      ['invoice.timestamp', () => signInvoice({ ...base, timestamp: 2 ** 35 }, SK)],
      ['invoice.network', () => signInvoice({ ...base, network: 'testnet3' as never }, SK)],
      ['nodeSecretKey', () => signInvoice(base, new Uint8Array(32))],
      ['nodeSecretKey', () => signInvoice(base, new Uint8Array(31))],
      ['invoice.signature', () => encodeInvoice({ ...base, signature: new Uint8Array(63), recoveryId: 0 })],
      ['invoice.recoveryId', () => encodeInvoice({ ...base, signature: new Uint8Array(64), recoveryId: 4 })],
    ];
    for (const [argument, f] of cases) expect(argumentOf(f), argument).toBe(argument);
  });

  it('a route hint with 12 hops fits; 13 do not', () => {
    const hop = {
      pubkey: PAYEE,
      shortChannelId: new Uint8Array(8),
      feeBaseMsat: 0,
      feeProportionalMillionths: 0,
      cltvExpiryDelta: 0,
    };
    const twelve = signInvoice(withFields({ type: 'routeHint', value: new Array(12).fill(hop) }), SK);
    expect(decodeInvoice(encodeInvoice(twelve)).routeHints[0]).toHaveLength(12);
    expect(
      argumentOf(() => signInvoice(withFields({ type: 'routeHint', value: new Array(13).fill(hop) }), SK)),
    ).toBe('invoice.fields[3].value');
  });

  it('a 639-byte description fits in one field', () => {
    const inv = signInvoice(
      {
        ...base,
        fields: [...base.fields.slice(0, 2), { type: 'description', value: `${'é'.repeat(319)}x` }],
      },
      SK,
    );
    expect(decodeInvoice(encodeInvoice(inv)).description).toHaveLength(320);
  });
});

describe('verifyInvoice', () => {
  const signed = signInvoice(base, SK);
  it('false for another payee or a changed field; throws for malformed input', () => {
    expect(verifyInvoice(signed)).toBe(true);
    expect(verifyInvoice(signed, OTHER)).toBe(false);
    const changed: SignedInvoice = {
      ...signed,
      fields: [{ type: 'paymentHash', value: SECRET }, ...signed.fields.slice(1)],
    };
    expect(verifyInvoice(changed, PAYEE)).toBe(false);
    expect(verifyInvoice({ ...signed, timestamp: signed.timestamp + 1 }, PAYEE)).toBe(false);
    expect(verifyInvoice({ ...signed, signature: new Uint8Array(64) })).toBe(false);
    expect(verifyInvoice({ ...signed, signature: new Uint8Array(64).fill(0xff) })).toBe(false);
    expect(() => verifyInvoice({ ...signed, fields: [] })).toThrow(InvalidArgumentError);
    expect(() => verifyInvoice('lnbc1xyz')).toThrow(DecodeError);
    expect(() => verifyInvoice(signed, new Uint8Array(32))).toThrow(InvalidArgumentError);
  });
});

describe('amounts', () => {
  it('amountMsat reads every multiplier', () => {
    expect(amountMsat('1')).toBe(100_000_000_000n);
    expect(amountMsat('2500u')).toBe(250_000_000n);
    expect(amountMsat('9678785340p')).toBe(967_878_534n);
    expect(amountMsat('1n')).toBe(100n);
    for (const bad of ['', '0', '01m', '1x', '11p', 'm', '1.5m', ' 1m', '100000000000000000000000000m'])
      expect(() => amountMsat(bad), bad).toThrow(DecodeError);
  });
  it('encodeAmount writes the shortest form, or the multiplier asked', () => {
    expect(encodeAmount(100_000_000_000n)).toBe('1');
    expect(encodeAmount(250_000_000n)).toBe('2500u');
    expect(encodeAmount(2_000_000_000n)).toBe('20m');
    expect(encodeAmount(967_878_534n)).toBe('9678785340p');
    expect(encodeAmount(1n)).toBe('10p');
    expect(encodeAmount(200_000_000n, 'u')).toBe('2000u');
    expect(encodeAmount(1n, 'p')).toBe('10p');
    expect(() => encodeAmount(1n, 'n')).toThrow(InvalidArgumentError);
    expect(() => encodeAmount(0n)).toThrow(InvalidArgumentError);
  });
  it('invoicePrefix', () => {
    expect(['mainnet', 'testnet4', 'signet', 'regtest'].map((n) => invoicePrefix(n as never))).toEqual([
      'lnbc',
      'lntb',
      'lntbs',
      'lnbcrt',
    ]);
  });
});

describe('invoiceExpired', () => {
  it('expired once now is past timestamp + expiry', () => {
    const inv = { timestamp: 1000, expiry: 60 };
    expect(invoiceExpired(inv, 999)).toBe(false);
    expect(invoiceExpired(inv, 1060)).toBe(false);
    expect(invoiceExpired(inv, 1061)).toBe(true);
    expect(invoiceExpired(decodeInvoice(encodeInvoice(signInvoice(base, SK))), base.timestamp + 3601)).toBe(
      true,
    );
    expect(() => invoiceExpired(inv, -1)).toThrow(InvalidArgumentError);
    expect(() => invoiceExpired(inv, 1.5)).toThrow(InvalidArgumentError);
  });
});
