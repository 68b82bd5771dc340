// Benchmarks of the transaction layer: `npx tsx --conditions=source bench/index.ts` (short runs; the
// machine is shared). Prints ms/op for commitment building, claims and penalties.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  type Basepoints,
  buildClaim,
  buildCommitment,
  buildPenalties,
  type ChannelConfig,
  type HtlcSpec,
  perCommitmentPoint,
} from '../src/index.js';

const sk = (label: string) => sha256(new TextEncoder().encode(`bench ${label}`));
const pk = (label: string) => secp256k1.getPublicKey(sk(label), true);
const bp = (who: string): Basepoints => ({
  revocation: pk(`${who} revocation`),
  payment: pk(`${who} payment`),
  delayedPayment: pk(`${who} delayed`),
  htlc: pk(`${who} htlc`),
});
const config: ChannelConfig = {
  lspFundingKey: pk('lsp funding'),
  clientFundingKey: pk('client funding'),
  channelTimeout: 900_000,
  toSelfDelay: 144,
  lspBasepoints: bp('lsp'),
  clientBasepoints: bp('client'),
};
const capacity = 10_000_000n;
const funding = { txid: 'ab'.repeat(32), vout: 0, amount: capacity };
const pcs = sk('pcs');

function spec(perDirection: number) {
  const htlcs: HtlcSpec[] = [];
  for (const offeredBy of ['lsp', 'client'] as const)
    for (let i = 0; i < perDirection; i++)
      htlcs.push({
        id: BigInt(i),
        offeredBy,
        amountMsat: 10_000_000n,
        paymentHash: sha256(Uint8Array.of(i)),
        cltvExpiry: 800_000 + i,
      });
  const inHtlcs = htlcs.reduce((s, h) => s + h.amountMsat, 0n);
  return {
    holder: 'client' as const,
    commitmentNumber: 5,
    perCommitmentPoint: perCommitmentPoint(pcs),
    lspBalanceMsat: capacity * 1000n - 1_000_000_000n - inHtlcs,
    clientBalanceMsat: 1_000_000_000n,
    htlcs,
    feeRate: 1_000,
  };
}

function time(name: string, iterations: number, f: () => unknown): void {
  f();
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) f();
  const ms = (performance.now() - t0) / iterations;
  console.log(`${name.padEnd(62)} ${ms.toFixed(2).padStart(9)} ms/op`);
}

const s0 = spec(0);
const s114 = spec(114);
time('buildCommitment, no HTLC', 50, () => buildCommitment(config, funding, s0));
time('buildCommitment, 114 HTLCs each way (231 outputs)', 5, () => buildCommitment(config, funding, s114));
const c0 = buildCommitment(config, funding, s0);
const toLocal = c0.outputs.find((o) => o.role === 'to_local');
if (toLocal === undefined) throw new Error('to_local');
const dest = Uint8Array.of(0x51, 0x20, ...new Uint8Array(32).fill(3));
time('buildClaim, to_local (one script-path signature)', 50, () =>
  buildClaim({
    commitment: c0,
    inputs: [{ vout: toLocal.vout, kind: 'to_local', basepointSecret: sk('client delayed') }],
    destinationScript: dest,
    feeRate: 1_000,
  }),
);
const c114 = buildCommitment(config, funding, s114);
time('buildPenalties, 229 outputs (170 + 59 inputs, key-path signatures)', 2, () =>
  buildPenalties({
    commitment: c114,
    perCommitmentSecret: pcs,
    revocationBasepointSecret: sk('lsp revocation'),
    sweepScript: dest,
    feeRate: 1_000,
  }),
);
