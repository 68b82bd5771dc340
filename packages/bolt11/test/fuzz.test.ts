// Fuzz: mutated invoices (FUZZ_ITERATIONS inputs; printed) give a decoded invoice or a DecodeError,
// never any other exception; an accepted one re-encodes to itself and verifies. Mutations act on the
// characters (caught by bech32), on the words with the checksum recomputed (reaching the fields and the
// signature), and on the words re-signed with the seed's key (reaching the invoice-level rules and
// success), plus random strings with a valid checksum.
import { bech32 } from '@scure/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzIterations } from '../../../test-utils/index.js';
import { DecodeError, decodeInvoice, encodeInvoice, signInvoice, verifyInvoice } from '../src/index.js';
import { invoiceAndKey } from './_arb.js';
import { signatureWords } from './_craft.js';
import { examples, privateKey } from './_vectors.js';

const ITERATIONS = fuzzIterations(20_000, 4_000);
const SEED = 0xb011;
console.log(`bolt11 fuzz suite: ${ITERATIONS} mutated inputs, seed ${SEED}`);

/** xorshift32: a reproducible stream of integers. */
function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

interface Seed {
  text: string;
  sk: Uint8Array;
}
const seeds: Seed[] = [
  ...examples.valid.map((v) => ({ text: v.invoice.toLowerCase(), sk: privateKey() })),
  ...fc.sample(invoiceAndKey, { seed: SEED, numRuns: 40 }).map(({ invoice, sk }) => ({
    text: encodeInvoice(signInvoice(invoice, sk)),
    sk,
  })),
];

const ALPHABET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const HRP_CHARS = 'lnbcrtsmunpx0123456789';

function mutateWords(ws: number[], r: (n: number) => number): number[] {
  const out = [...ws];
  const edits = 1 + r(3);
  for (let e = 0; e < edits; e++) {
    const at = r(out.length + 1);
    switch (r(6)) {
      case 0:
        out[at % out.length] = r(32);
        break;
      case 1:
        out.splice(at, 0, r(32));
        break;
      case 2:
        out.splice(at, 1 + r(3));
        break;
      case 3: {
        // a field header's length word
        out[at % out.length] = r(2) === 0 ? 0 : 31;
        break;
      }
      case 4: {
        const len = 1 + r(60);
        out.splice(at, 0, ...out.slice(at, at + len)); // duplicate a run (often a whole field)
        break;
      }
      default:
        out.splice(at, r(40));
    }
  }
  return out;
}

/** Whole-field edits on the data words: duplicate, drop or move one field. */
function mutateFields(data: number[], r: (n: number) => number): number[] {
  const fields: number[][] = [];
  for (let at = 7; at + 3 <= data.length; ) {
    const len = ((data[at + 1] as number) << 5) | (data[at + 2] as number);
    fields.push(data.slice(at, at + 3 + len));
    at += 3 + len;
  }
  if (fields.length === 0) return data;
  const i = r(fields.length);
  const f = fields[i] as number[];
  switch (r(3)) {
    case 0:
      fields.splice(r(fields.length + 1), 0, f);
      break;
    case 1:
      fields.splice(i, 1);
      break;
    default:
      fields.splice(i, 1);
      fields.splice(r(fields.length + 1), 0, f);
  }
  return [...data.slice(0, 7), ...fields.flat()];
}

function mutateHrp(hrp: string, r: (n: number) => number): string {
  if (r(3) !== 0) return hrp;
  const at = r(hrp.length + 1);
  const c = HRP_CHARS[r(HRP_CHARS.length)] as string;
  return r(2) === 0 ? hrp.slice(0, at) + c + hrp.slice(at + 1) : hrp.slice(0, at) + c + hrp.slice(at);
}

function mutate(seed: Seed, r: (n: number) => number): string {
  const kind = r(10);
  if (kind < 3) {
    // characters: replace, insert, delete, flip case, truncate
    let s = seed.text;
    const at = r(s.length);
    switch (r(5)) {
      case 0:
        return s.slice(0, at) + (ALPHABET[r(32)] as string) + s.slice(at + 1);
      case 1:
        return s.slice(0, at) + (ALPHABET[r(32)] as string) + s.slice(at);
      case 2:
        return s.slice(0, at) + s.slice(at + 1);
      case 3:
        s = s.slice(0, at) + (s[at] as string).toUpperCase() + s.slice(at + 1);
        return r(2) === 0 ? s : s.toUpperCase();
      default:
        return s.slice(0, at);
    }
  }
  const { prefix, words } = bech32.decode(seed.text as `${string}1${string}`, false);
  const hrp = mutateHrp(prefix, r);
  if (kind < 6) return bech32.encode(hrp, mutateWords(words, r), false); // checksum recomputed
  if (kind < 9) {
    // re-signed: the data words mutated, then signed with the seed's key
    const data = r(2) === 0 ? mutateWords(words.slice(0, -104), r) : mutateFields(words.slice(0, -104), r);
    return bech32.encode(hrp, [...data, ...signatureWords(hrp, data, { sk: seed.sk })], false);
  }
  // random words behind a plausible prefix
  const random = Array.from({ length: r(400) }, () => r(32));
  return bech32.encode(hrp, random, false);
}

describe('fuzz', () => {
  it('mutated invoices decode, or fail with a DecodeError; accepted ones re-encode and verify', () => {
    const r = rng(SEED);
    const reasons: Record<string, number> = {};
    let accepted = 0;
    let firstCrash: { input: string; error: unknown } | undefined;
    let crashes = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const input = mutate(seeds[r(seeds.length)] as Seed, r);
      try {
        const inv = decodeInvoice(input);
        accepted++;
        expect(encodeInvoice(inv)).toBe(input.toLowerCase());
        expect(verifyInvoice(inv, inv.payeeNodeId)).toBe(true);
      } catch (e) {
        if (DecodeError.isInstance(e)) reasons[e.reason] = (reasons[e.reason] ?? 0) + 1;
        else {
          crashes++;
          firstCrash ??= { input, error: e };
        }
      }
    }
    console.log(
      `bolt11 fuzz: ${ITERATIONS} inputs, accepted ${accepted}, rejected by reason ${JSON.stringify(reasons)}`,
    );
    expect(firstCrash).toBeUndefined();
    expect(crashes).toBe(0);
    // The mutations reach the success path and the checks behind the checksum and the signature.
    expect(accepted).toBeGreaterThan(0);
    for (const reason of [
      'checksum',
      'bech32',
      'prefix',
      'field-length',
      'signature',
      'duplicate-field',
      'field-value',
    ])
      expect(reasons[reason] ?? 0, reason).toBeGreaterThan(0);
  });
});
