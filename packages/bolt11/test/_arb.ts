// fast-check arbitraries: any invoice a writer may produce, and its signing key.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import {
  type AmountMultiplier,
  INVOICE_FEATURES,
  MAX_AMOUNT_MSAT,
  type RouteHintHop,
  type TaggedField,
  type UnsignedInvoice,
} from '../src/index.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
export const secretKey = bytes(32).filter((k) => secp256k1.utils.isValidSecretKey(k));
const publicKey = secretKey.map((k) => secp256k1.getPublicKey(k, true));

const hop: fc.Arbitrary<RouteHintHop> = fc.record({
  pubkey: publicKey,
  shortChannelId: bytes(8),
  feeBaseMsat: fc.nat({ max: 0xffff_ffff }),
  feeProportionalMillionths: fc.nat({ max: 0xffff_ffff }),
  cltvExpiryDelta: fc.nat({ max: 0xffff }),
});
const fallback = fc.oneof(
  fc.record({ version: fc.constant(0), program: fc.oneof(bytes(20), bytes(32)) }),
  fc.record({
    version: fc.integer({ min: 1, max: 16 }),
    program: fc.uint8Array({ minLength: 2, maxLength: 40 }),
  }),
  fc.record({ version: fc.constantFrom(17, 18), program: bytes(20) }),
);
const knownEven = Object.values(INVOICE_FEATURES) as number[];
const featureBits = fc
  .uniqueArray(
    fc.oneof(
      fc.constantFrom(...knownEven),
      fc.constantFrom(...knownEven.map((b) => b + 1)),
      fc.nat({ max: 511 }).map((n) => 2 * n + 1), // any odd bit
    ),
    { minLength: 1, maxLength: 8 },
  )
  .map((bits) => [...bits].sort((a, b) => a - b));
// Tags BOLT 11 does not define.
const UNKNOWN_TAGS = [0, 2, 4, 7, 8, 10, 11, 12, 14, 15, 17, 18, 20, 21, 22, 25, 26, 28, 29, 30, 31];
const unknownField: fc.Arbitrary<TaggedField> = fc.oneof(
  fc.record({
    type: fc.constant('unknown' as const),
    tag: fc.constantFrom(...UNKNOWN_TAGS),
    words: fc.array(fc.nat({ max: 31 }), { maxLength: 40 }),
  }),
  fc
    .tuple(fc.integer({ min: 19, max: 31 }), fc.array(fc.nat({ max: 31 }), { maxLength: 40 }))
    .map(([v, ws]) => ({ type: 'unknown' as const, tag: 9, words: [v, ...ws] })),
);

/** Optional fields, at most one of each single type. */
const optional = (payee: Uint8Array): fc.Arbitrary<TaggedField[]> =>
  fc
    .record(
      {
        n: fc.constant<TaggedField>({ type: 'payeeNodeId', value: payee }),
        x: fc.nat().map((value): TaggedField => ({ type: 'expiry', value })),
        c: fc.nat({ max: 100_000 }).map((value): TaggedField => ({ type: 'minFinalCltvExpiryDelta', value })),
        features: featureBits.map((value): TaggedField => ({ type: 'features', value })),
        m: fc.uint8Array({ maxLength: 64 }).map((value): TaggedField => ({ type: 'metadata', value })),
        f: fc.array(
          fallback.map((value): TaggedField => ({ type: 'fallback', value })),
          { maxLength: 2 },
        ),
        r: fc.array(
          fc
            .array(hop, { minLength: 1, maxLength: 3 })
            .map((value): TaggedField => ({ type: 'routeHint', value })),
          { maxLength: 2 },
        ),
        unknown: fc.array(unknownField, { maxLength: 2 }),
      },
      { requiredKeys: [] },
    )
    .map((o) => [
      ...(['n', 'x', 'c', 'features', 'm'] as const).flatMap((k) => (o[k] === undefined ? [] : [o[k]])),
      ...(o.f ?? []),
      ...(o.r ?? []),
      ...(o.unknown ?? []),
    ]);

const MSAT_PER: Record<string, bigint> = {
  '': 100_000_000_000n,
  m: 100_000_000n,
  u: 100_000n,
  n: 100n,
  p: 1n,
};
const amount: fc.Arbitrary<{ amountMsat?: bigint; multiplier?: AmountMultiplier }> = fc.oneof(
  fc.constant({}),
  fc
    .tuple(
      fc.oneof(
        fc.bigInt({ min: 1n, max: MAX_AMOUNT_MSAT }),
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.constantFrom(1n, 1000n, 100_000n, 100_000_000_000n, MAX_AMOUNT_MSAT),
      ),
      fc.constantFrom<AmountMultiplier | undefined>(undefined, '', 'm', 'u', 'n', 'p'),
    )
    .map(([amountMsat, m]) =>
      m === undefined || amountMsat % (MSAT_PER[m] as bigint) !== 0n
        ? { amountMsat }
        : { amountMsat, multiplier: m },
    ),
);

/** An unsigned invoice and the key that signs it (its `n` field, when present, is that key's). */
export const invoiceAndKey: fc.Arbitrary<{ invoice: UnsignedInvoice; sk: Uint8Array }> = secretKey.chain(
  (sk) => {
    const payee = secp256k1.getPublicKey(sk, true);
    const description = fc.oneof(
      fc
        .string({ unit: 'grapheme', maxLength: 30 })
        .map((value): TaggedField => ({ type: 'description', value })),
      bytes(32).map((value): TaggedField => ({ type: 'descriptionHash', value })),
    );
    return fc
      .record({
        network: fc.constantFrom('mainnet', 'testnet4', 'signet', 'regtest' as const),
        amount,
        timestamp: fc.integer({ min: 0, max: 2 ** 35 - 1 }),
        p: bytes(32),
        s: bytes(32),
        d: description,
        rest: optional(payee),
      })
      .chain((r) =>
        fc
          .shuffledSubarray(
            [
              { type: 'paymentHash', value: r.p } as TaggedField,
              { type: 'paymentSecret', value: r.s } as TaggedField,
              r.d,
              ...r.rest,
            ],
            { minLength: 3 + r.rest.length, maxLength: 3 + r.rest.length },
          )
          .map((fields) => ({
            invoice: { network: r.network, ...r.amount, timestamp: r.timestamp, fields },
            sk,
          })),
      );
  },
);
