// The package's own vectors (vectors/commitments.json): inputs, and everything the builders produce
// from them. Shared by the generator (scripts/gen-vectors.ts) and the test (test/vectors.test.ts),
// which recomputes every expected field from the file's inputs and compares.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import {
  buildClaim,
  buildCommitment,
  buildPenalties,
  type ChannelConfig,
  type ClaimInput,
  type CommitmentSpec,
  claimableOutputs,
  type FundingOutpoint,
  perCommitmentPoint,
  type Side,
} from '../src/index.js';

type PartyNames = 'funding' | 'revocation' | 'payment' | 'delayedPayment' | 'htlc';

/** A vector's inputs, JSON-ready (hex bytes, decimal-string amounts). */
export interface VectorInput {
  readonly name: string;
  readonly comment: string;
  readonly secrets: Record<Side, Record<PartyNames, string>> & { readonly perCommitmentSecret: string };
  readonly channelTimeout: number;
  readonly toSelfDelay: number;
  readonly funding: { readonly txid: string; readonly vout: number; readonly amount: string };
  readonly spec: {
    readonly holder: Side;
    readonly commitmentNumber: string;
    readonly lspBalanceMsat: string;
    readonly clientBalanceMsat: string;
    readonly feeRate: number;
    readonly htlcs: readonly {
      readonly id: string;
      readonly offeredBy: Side;
      readonly amountMsat: string;
      readonly preimage: string;
      readonly cltvExpiry: number;
    }[];
  };
  readonly claimFeeRate: number;
  readonly destinationScript: string;
}

const label = (s: string) => bytesToHex(sha256(new TextEncoder().encode(`poon-dryja vectors ${s}`)));
const party = (who: Side): Record<PartyNames, string> => ({
  funding: label(`${who} funding`),
  revocation: label(`${who} revocation`),
  payment: label(`${who} payment`),
  delayedPayment: label(`${who} delayed payment`),
  htlc: label(`${who} htlc`),
});
const p2trOf = (secret: string) =>
  `5120${bytesToHex(secp256k1.getPublicKey(hexToBytes(secret), true).slice(1))}`;

function input(
  name: string,
  comment: string,
  holder: Side,
  n: bigint,
  capacity: bigint,
  clientMsat: bigint,
  htlcs: { offeredBy: Side; id: bigint; amountMsat: bigint; cltvExpiry: number; preimageLabel: string }[],
  feeRate: number,
): VectorInput {
  const inHtlcs = htlcs.reduce((s, h) => s + h.amountMsat, 0n);
  return {
    name,
    comment,
    secrets: {
      lsp: party('lsp'),
      client: party('client'),
      perCommitmentSecret: label(`${name} per-commitment secret`),
    },
    channelTimeout: 1_200,
    toSelfDelay: 144,
    funding: { txid: label('funding txid'), vout: 1, amount: capacity.toString() },
    spec: {
      holder,
      commitmentNumber: n.toString(),
      lspBalanceMsat: (capacity * 1000n - clientMsat - inHtlcs).toString(),
      clientBalanceMsat: clientMsat.toString(),
      feeRate,
      htlcs: htlcs.map((h) => ({
        id: h.id.toString(),
        offeredBy: h.offeredBy,
        amountMsat: h.amountMsat.toString(),
        preimage: label(`preimage ${h.preimageLabel}`),
        cltvExpiry: h.cltvExpiry,
      })),
    },
    claimFeeRate: 2_000,
    destinationScript: p2trOf(label('destination')),
  };
}

/** The published cases. */
export const VECTOR_INPUTS: readonly VectorInput[] = [
  input('lsp-simple', "the LSP's commitment 0, no HTLC", 'lsp', 0n, 1_000_000n, 300_000_000n, [], 1_000),
  input(
    'client-htlcs',
    "the client's commitment 42: HTLCs both ways (one trimmed), truncated msat, fee rate 2,500",
    'client',
    42n,
    2_000_000n,
    700_123_456n,
    [
      { offeredBy: 'lsp', id: 0n, amountMsat: 50_000_500n, cltvExpiry: 1_000, preimageLabel: 'a' },
      { offeredBy: 'client', id: 0n, amountMsat: 30_000_000n, cltvExpiry: 1_010, preimageLabel: 'b' },
      { offeredBy: 'client', id: 1n, amountMsat: 719_999n, cltvExpiry: 1_020, preimageLabel: 'c' },
      { offeredBy: 'lsp', id: 1n, amountMsat: 9_999_999n, cltvExpiry: 1_030, preimageLabel: 'd' },
    ],
    2_500,
  ),
  input(
    'lsp-dust',
    "the client's commitment: the LSP's balance after fee and anchor is below dust, so it has no output",
    'client',
    7n,
    500_000n,
    499_400_000n,
    [],
    1_000,
  ),
  input(
    'twins',
    'byte-identical HTLC outputs (same hash, expiry and amount, one offerer) ordered by HTLC id',
    'lsp',
    281_474_976_710_655n,
    1_000_000n,
    100_000_000n,
    [
      { offeredBy: 'client', id: 9n, amountMsat: 5_000_000n, cltvExpiry: 900, preimageLabel: 'twin' },
      { offeredBy: 'client', id: 3n, amountMsat: 5_000_000n, cltvExpiry: 900, preimageLabel: 'twin' },
      { offeredBy: 'lsp', id: 3n, amountMsat: 5_000_000n, cltvExpiry: 900, preimageLabel: 'twin' },
    ],
    1_000,
  ),
];

const pub = (hex: string) => secp256k1.getPublicKey(hexToBytes(hex), true);
const h = (b: Uint8Array) => bytesToHex(b);

/** Everything the builders produce from a vector's inputs, JSON-ready. */
export function computeVector(v: VectorInput): Record<string, unknown> {
  const bp = (who: Side) => ({
    revocation: pub(v.secrets[who].revocation),
    payment: pub(v.secrets[who].payment),
    delayedPayment: pub(v.secrets[who].delayedPayment),
    htlc: pub(v.secrets[who].htlc),
  });
  const config: ChannelConfig = {
    lspFundingKey: pub(v.secrets.lsp.funding),
    clientFundingKey: pub(v.secrets.client.funding),
    channelTimeout: v.channelTimeout,
    toSelfDelay: v.toSelfDelay,
    lspBasepoints: bp('lsp'),
    clientBasepoints: bp('client'),
  };
  const funding: FundingOutpoint = {
    txid: v.funding.txid,
    vout: v.funding.vout,
    amount: BigInt(v.funding.amount),
  };
  const pcs = hexToBytes(v.secrets.perCommitmentSecret);
  const spec: CommitmentSpec = {
    holder: v.spec.holder,
    commitmentNumber: Number(v.spec.commitmentNumber),
    perCommitmentPoint: perCommitmentPoint(pcs),
    lspBalanceMsat: BigInt(v.spec.lspBalanceMsat),
    clientBalanceMsat: BigInt(v.spec.clientBalanceMsat),
    feeRate: v.spec.feeRate,
    htlcs: v.spec.htlcs.map((x) => ({
      id: BigInt(x.id),
      offeredBy: x.offeredBy,
      amountMsat: BigInt(x.amountMsat),
      paymentHash: sha256(hexToBytes(x.preimage)),
      cltvExpiry: x.cltvExpiry,
    })),
  };
  const c = buildCommitment(config, funding, spec);
  const zeroAux = (n: number) => new Uint8Array(n);
  const dest = hexToBytes(v.destinationScript);
  const claims = (['lsp', 'client'] as const).flatMap((side) =>
    claimableOutputs(c, side).map(({ vout, kind }) => {
      const s = v.secrets[side];
      const o = c.outputs[vout];
      let claimInput: ClaimInput;
      if (kind === 'to_local') claimInput = { vout, kind, basepointSecret: hexToBytes(s.delayedPayment) };
      else if (kind === 'to_remote') claimInput = { vout, kind, basepointSecret: hexToBytes(s.payment) };
      else {
        if (o?.role !== 'htlc') throw new Error('htlc');
        const pre =
          v.spec.htlcs.find((x) => x.offeredBy === o.offeredBy && BigInt(x.id) === o.htlcId)?.preimage ?? '';
        claimInput =
          kind === 'htlc_success'
            ? { vout, kind, basepointSecret: hexToBytes(s.htlc), preimage: hexToBytes(pre) }
            : { vout, kind, basepointSecret: hexToBytes(s.htlc) };
      }
      const cl = buildClaim({
        commitment: c,
        inputs: [claimInput],
        destinationScript: dest,
        feeRate: v.claimFeeRate,
        rng: zeroAux,
      });
      return {
        claimant: side,
        vout,
        kind,
        fee: cl.fee.toString(),
        vsize: cl.vsize,
        txid: cl.txid,
        tx: h(cl.bytes),
      };
    }),
  );
  const remote: Side = v.spec.holder === 'lsp' ? 'client' : 'lsp';
  const penalties = buildPenalties({
    commitment: c,
    perCommitmentSecret: pcs,
    revocationBasepointSecret: hexToBytes(v.secrets[remote].revocation),
    sweepScript: dest,
    feeRate: v.claimFeeRate,
    rng: zeroAux,
  });
  return {
    keys: Object.fromEntries(Object.entries(c.keys).map(([k, b]) => [k, h(b as Uint8Array)])),
    obscuredNumber: c.obscuredNumber.toString(),
    channelOutputScript: h(c.spentOutput.script),
    signingKeys: c.signingKeys.map(h),
    tweak: h(c.tweak),
    outputKey: h(c.outputKey),
    unsignedTx: h(c.unsignedBytes),
    txid: c.txid,
    sighash: h(c.sighash),
    vsize: c.vsize,
    rateFee: c.rateFee.toString(),
    fee: c.fee.toString(),
    trimmedHtlcs: c.trimmedHtlcs.map((t) => ({ offeredBy: t.offeredBy, id: t.id.toString() })),
    outputs: c.outputs.map((o) => ({
      vout: o.vout,
      role: o.role,
      amount: o.amount.toString(),
      script: h(o.script),
      ...(o.role === 'htlc'
        ? { offeredBy: o.offeredBy, htlcId: o.htlcId.toString(), direction: o.direction }
        : {}),
      ...(o.role === 'anchor'
        ? {}
        : {
            internalKey: h(o.taproot.internalKey),
            leaves: o.taproot.leaves.map(h),
            controlBlocks: o.taproot.controlBlocks.map(h),
          }),
    })),
    claims,
    penalties: penalties.transactions.map((t) => ({
      vouts: t.vouts,
      fee: t.fee.toString(),
      vsize: t.vsize,
      txid: t.txid,
      tx: h(t.bytes),
    })),
  };
}
