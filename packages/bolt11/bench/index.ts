// Benchmarks: `npx tsx --conditions=source bench/index.ts`
import { hexToBytes } from '@noble/hashes/utils.js';
import { Bench } from 'tinybench';
import { decodeInvoice, encodeInvoice, signInvoice, type UnsignedInvoice } from '../src/index.js';

const sk = new Uint8Array(32).fill(7);
const lspNodeId = hexToBytes('029e03a901b85534ff1e92c43c74431f7ce72046060fcf7a95c37e148f78c77255');
const invoice: UnsignedInvoice = {
  network: 'regtest',
  amountMsat: 1_000_000n,
  timestamp: 1_700_000_000,
  fields: [
    { type: 'paymentHash', value: new Uint8Array(32).fill(1) },
    { type: 'paymentSecret', value: new Uint8Array(32).fill(2) },
    { type: 'description', value: 'coffee' },
    { type: 'minFinalCltvExpiryDelta', value: 1080 },
    {
      type: 'routeHint',
      value: [
        {
          pubkey: lspNodeId,
          shortChannelId: new Uint8Array(8).fill(0x80),
          feeBaseMsat: 1000,
          feeProportionalMillionths: 100,
          cltvExpiryDelta: 1080,
        },
      ],
    },
    { type: 'features', value: [9, 15] },
  ],
};
const signed = signInvoice(invoice, sk);
const text = encodeInvoice(signed);
const withN = encodeInvoice(
  signInvoice(
    { ...invoice, fields: [...invoice.fields, { type: 'payeeNodeId', value: signed.payeeNodeId }] },
    sk,
  ),
);

const bench = new Bench({ time: 500 });
bench
  .add('signInvoice (RFC 6979 ECDSA)', () => {
    signInvoice(invoice, sk);
  })
  .add('encodeInvoice', () => {
    encodeInvoice(signed);
  })
  .add('decodeInvoice (public-key recovery)', () => {
    decodeInvoice(text);
  })
  .add('decodeInvoice (with n: ECDSA verify)', () => {
    decodeInvoice(withN);
  });
await bench.run();
console.table(bench.table());
console.log(`invoice length: ${text.length} characters`);
