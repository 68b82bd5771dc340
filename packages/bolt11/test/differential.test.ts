// Differential test against an independent decoder, light-bolt11-decoder (a devDependency, never
// imported from src/). It checks no signature and is lenient, so the comparison is one way: whatever
// this package accepts, it accepts too and reads the same — on the BOLT 11 examples, on random
// invoices (PROPERTY_RUNS) and on the mutated invoices this package accepts (FUZZ_ITERATIONS).
import { bytesToHex } from '@noble/hashes/utils.js';
import { bech32 } from '@scure/base';
import fc from 'fast-check';
import { decode as theirDecode } from 'light-bolt11-decoder';
import { describe, expect, it } from 'vitest';
import { fuzzIterations, propertyRuns } from '../../../test-utils/index.js';
import { decodeInvoice, encodeInvoice, FIELD_LETTER, type Invoice, signInvoice } from '../src/index.js';
import { invoiceAndKey } from './_arb.js';
import { examples } from './_vectors.js';

const RUNS = propertyRuns(500, 100);
const MUTANTS = fuzzIterations(4_000, 1_000);
console.log(`bolt11 differential suite: ${RUNS} random invoices, ${MUTANTS} mutants`);

const CURRENCY = { mainnet: 'bc', testnet4: 'tb', signet: 'tbs', regtest: 'bcrt' } as const;
// light-bolt11-decoder names the first 10 feature pairs and lists the bits from 20 up as booleans.
const NAMED = [
  'option_data_loss_protect',
  'initial_routing_sync',
  'option_upfront_shutdown_script',
  'gossip_queries',
  'var_onion_optin',
  'gossip_queries_ex',
  'option_static_remotekey',
  'payment_secret',
  'basic_mpp',
  'option_support_large_channel',
] as const;

type Section = { name: string; tag?: string; value?: unknown; letters?: string };
const unknownWords = (v: { words: string }): number[] =>
  bech32.decode(v.words as `${string}1${string}`, false).words;

/** Asserts the independent decoder reads `text` as `ours`. */
function agree(text: string, ours: Invoice): void {
  const theirs = theirDecode(text);
  const sections = theirs.sections as Section[];
  const named = (n: string) => sections.find((s) => s.name === n);
  expect(named('coin_network')?.letters).toBe(CURRENCY[ours.network]);
  expect(named('amount')?.value).toBe(ours.amountMsat === undefined ? undefined : String(ours.amountMsat));
  expect(named('timestamp')?.value).toBe(ours.timestamp);
  expect(named('signature')?.value).toBe(
    bytesToHex(ours.signature) + ours.recoveryId.toString(16).padStart(2, '0'),
  );
  const fields = sections.filter((s) => s.tag !== undefined);
  expect(fields.map((s) => s.tag)).toEqual(
    ours.fields.map((f) =>
      f.type === 'unknown' ? 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'[f.tag] : FIELD_LETTER[f.type],
    ),
  );
  ours.fields.forEach((f, i) => {
    const v = (fields[i] as Section).value as never;
    switch (f.type) {
      case 'paymentHash':
      case 'paymentSecret':
      case 'descriptionHash':
      case 'payeeNodeId':
      case 'metadata':
        expect(v).toBe(bytesToHex(f.value));
        break;
      case 'description':
      case 'expiry':
      case 'minFinalCltvExpiryDelta':
        expect(v).toBe(f.value);
        break;
      case 'routeHint':
        expect(v).toEqual(
          f.value.map((h) => ({
            pubkey: bytesToHex(h.pubkey),
            short_channel_id: bytesToHex(h.shortChannelId),
            fee_base_msat: h.feeBaseMsat,
            fee_proportional_millionths: h.feeProportionalMillionths,
            cltv_expiry_delta: h.cltvExpiryDelta,
          })),
        );
        break;
      case 'fallback': // light-bolt11-decoder leaves f unparsed
        expect(unknownWords(v)).toEqual([f.value.version, ...bech32.toWords(f.value.program)]);
        break;
      case 'unknown':
        expect((v as { tagCode: number }).tagCode).toBe(f.tag);
        expect(unknownWords(v)).toEqual(f.words);
        break;
      case 'features': {
        const bits = new Set(f.value);
        const fb = v as Record<string, unknown> & { extra_bits: { bits: boolean[] } };
        NAMED.forEach((name, k) => {
          expect(fb[name], name).toBe(
            bits.has(2 * k) ? 'required' : bits.has(2 * k + 1) ? 'supported' : 'unsupported',
          );
        });
        const extra = fb.extra_bits.bits.flatMap((set, k) => (set ? [20 + k] : []));
        expect(extra).toEqual(f.value.filter((b) => b >= 20));
        break;
      }
    }
  });
}

describe('differential: light-bolt11-decoder', () => {
  it('reads every valid BOLT 11 example as this package does', () => {
    for (const v of examples.valid) agree(v.invoice, decodeInvoice(v.invoice));
  });

  it('reads random invoices as this package does', () => {
    fc.assert(
      fc.property(invoiceAndKey, ({ invoice, sk }) => {
        const text = encodeInvoice(signInvoice(invoice, sk));
        agree(text, decodeInvoice(text));
      }),
      { numRuns: RUNS },
    );
  });

  it('accepts and reads alike every mutant this package accepts (one-way: it is the more lenient)', () => {
    const seeds = fc
      .sample(invoiceAndKey, { seed: 7, numRuns: 20 })
      .map(({ invoice, sk }) => encodeInvoice(signInvoice(invoice, sk)));
    let ours = 0;
    let onlyTheirs = 0;
    let x = 7;
    const r = (n: number) => {
      x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
      return x % n;
    };
    for (let i = 0; i < MUTANTS; i++) {
      const { prefix, words } = bech32.decode(seeds[r(seeds.length)] as `${string}1${string}`, false);
      const at = 7 + r(words.length - 111);
      const mutated = [...words];
      mutated[at] = r(32);
      // Checksum recomputed; the signature no longer matches, so only a recovered-key invoice (no n)
      // passes here, signed by someone else: that is fine for a comparison of readings.
      const text = bech32.encode(prefix, mutated, false);
      let mine: Invoice | undefined;
      try {
        mine = decodeInvoice(text);
      } catch {
        try {
          theirDecode(text);
          onlyTheirs++;
        } catch {}
        continue;
      }
      ours++;
      agree(text, mine);
    }
    console.log(
      `bolt11 differential: ${MUTANTS} mutants, both accept ${ours}, only light-bolt11-decoder accepts ${onlyTheirs}`,
    );
    expect(ours).toBeGreaterThan(0);
  });
});
