import { bytesToHex } from '@noble/hashes/utils.js';
import {
  vsize as chainVsize,
  createTx,
  decodeTx,
  encodeTx,
  parseAsm,
  SIGHASH,
  taprootOutput,
  taprootSighash,
  txidHex,
} from '@superscalar/chain';
import { channelOutput } from '@superscalar/factory-tree';
import { keySort } from '@superscalar/musig2';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  buildCommitment,
  type Commitment,
  commitmentNumberFromLocks,
  commitmentVsize,
  derivePubkey,
  deriveRevocationPubkey,
  FeeUnaffordableError,
  type HtlcSpec,
  htlcTrimThreshold,
  type InvalidArgumentError,
  InvalidCommitmentError,
  InvalidSignatureError,
  NUMS_XONLY,
  obscuringFactor,
  PoonDryjaError,
  type Side,
  signedCommitmentBytes,
} from '../src/index.js';
import {
  htlc,
  makeConfig,
  OFFCHAIN_FUNDING,
  pcPoint,
  preimage,
  signCommitment,
  specFor,
} from './_channel.js';

const x = (pk: Uint8Array) => `0x20 0x${bytesToHex(pk.slice(1))}`;
const CAP = OFFCHAIN_FUNDING.amount;

function check(c: Commitment): void {
  // The chain package's codec, sighash and sizes agree with ours.
  const d = decodeTx(c.unsignedBytes);
  expect(txidHex(d)).toBe(c.txid);
  expect(d.version).toBe(3);
  expect(d.inputs).toHaveLength(1);
  const signed = decodeTx(signCommitmentLike(c));
  expect(chainVsize(signed)).toBe(c.vsize);
  expect(taprootSighash(d, 0, [c.spentOutput], SIGHASH.DEFAULT)).toEqual(c.sighash);
  // Value: outputs + fee = channel output; the fee covers the rate.
  expect(c.outputs.reduce((s, o) => s + o.amount, 0n) + c.fee).toBe(c.funding.amount);
  expect(c.rateFee).toBe(BigInt(Math.ceil((c.spec.feeRate * c.vsize) / 1000)));
  expect(c.fee >= c.rateFee).toBe(true);
  // BIP69.
  for (let i = 1; i < c.outputs.length; i++) {
    const a = c.outputs[i - 1] as (typeof c.outputs)[number];
    const b = c.outputs[i] as (typeof c.outputs)[number];
    expect(
      a.amount < b.amount || (a.amount === b.amount && bytesToHex(a.script) <= bytesToHex(b.script)),
    ).toBe(true);
  }
  c.outputs.forEach((o, i) => {
    expect(o.vout).toBe(i);
    expect(c.tx.outputs[i]?.value).toBe(o.amount);
  });
  expect(c.outputs.filter((o) => o.role === 'anchor')).toHaveLength(1);
  const mains = c.outputs.filter((o) => o.role === 'to_local' || o.role === 'to_remote').length;
  const htlcs = c.outputs.filter((o) => o.role === 'htlc').length;
  expect(c.vsize).toBe(commitmentVsize(htlcs, mains));
}

/** The signed form with a dummy (wrong) signature, for size checks only. */
function signCommitmentLike(c: Commitment): Uint8Array {
  const d = decodeTx(c.unsignedBytes);
  return encodeTx(createTx({ ...d, inputs: d.inputs.map((i) => ({ ...i, witness: [new Uint8Array(64)] })) }));
}

describe('commitment outputs and scripts (brief §7), checked against the chain package’s taproot builder', () => {
  const config = makeConfig({ toSelfDelay: 144 });
  const H = (label: string) => preimage(label).hash;
  for (const holder of ['lsp', 'client'] as const) {
    it(`the ${holder}’s commitment: to_local, to_remote, offered and received HTLCs, anchor`, () => {
      const remote: Side = holder === 'lsp' ? 'client' : 'lsp';
      const point = pcPoint(holder, 9);
      const local = holder === 'lsp' ? config.lspBasepoints : config.clientBasepoints;
      const rem = holder === 'lsp' ? config.clientBasepoints : config.lspBasepoints;
      const revocation = deriveRevocationPubkey(rem.revocation, point);
      const delayed = derivePubkey(local.delayedPayment, point);
      const localHtlc = derivePubkey(local.htlc, point);
      const remoteHtlc = derivePubkey(rem.htlc, point);
      const htlcs = [
        htlc(holder, 5n, 21_000_000n, 812_345, 'off'),
        htlc(remote, 6n, 22_000_000n, 812_346, 'rec'),
      ];
      const c = buildCommitment(config, OFFCHAIN_FUNDING, specFor(holder, 9, CAP, 300_000_000n, htlcs));
      check(c);
      const byRole = (r: string) => c.outputs.filter((o) => o.role === r);
      const toLocal = taprootOutput(revocation.slice(1), {
        script: parseAsm(`144 OP_CHECKSEQUENCEVERIFY OP_DROP ${x(delayed)} OP_CHECKSIG`),
      });
      expect(byRole('to_local')[0]?.script).toEqual(toLocal.script);
      const toRemote = taprootOutput(NUMS_XONLY, {
        script: parseAsm(`${x(rem.payment)} OP_CHECKSIGVERIFY 1 OP_CHECKSEQUENCEVERIFY`),
      });
      expect(byRole('to_remote')[0]?.script).toEqual(toRemote.script);
      const offered = taprootOutput(revocation.slice(1), [
        {
          script: parseAsm(
            `OP_SIZE 32 OP_EQUALVERIFY OP_SHA256 0x20 0x${bytesToHex(H('off'))} OP_EQUALVERIFY ${x(remoteHtlc)} OP_CHECKSIGVERIFY 1 OP_CHECKSEQUENCEVERIFY`,
          ),
        },
        {
          script: parseAsm(
            `812345 OP_CHECKLOCKTIMEVERIFY OP_DROP 144 OP_CHECKSEQUENCEVERIFY OP_DROP ${x(localHtlc)} OP_CHECKSIG`,
          ),
        },
      ]);
      const received = taprootOutput(revocation.slice(1), [
        {
          script: parseAsm(
            `OP_SIZE 32 OP_EQUALVERIFY OP_SHA256 0x20 0x${bytesToHex(H('rec'))} OP_EQUALVERIFY 144 OP_CHECKSEQUENCEVERIFY OP_DROP ${x(localHtlc)} OP_CHECKSIG`,
          ),
        },
        {
          script: parseAsm(
            `812346 OP_CHECKLOCKTIMEVERIFY OP_DROP ${x(remoteHtlc)} OP_CHECKSIGVERIFY 1 OP_CHECKSEQUENCEVERIFY`,
          ),
        },
      ]);
      const [o, r] = [
        byRole('htlc').find((h) => h.role === 'htlc' && h.direction === 'offered'),
        byRole('htlc').find((h) => h.role === 'htlc' && h.direction === 'received'),
      ];
      if (o?.role !== 'htlc' || r?.role !== 'htlc') throw new Error('htlc outputs');
      expect(o.script).toEqual(offered.script);
      expect(r.script).toEqual(received.script);
      expect([o.successControlBlock, o.timeoutControlBlock]).toEqual(
        offered.leaves.map((l) => l.controlBlock),
      );
      expect([r.successControlBlock, r.timeoutControlBlock]).toEqual(
        received.leaves.map((l) => l.controlBlock),
      );
      expect(o.successControlBlock).toHaveLength(65);
      const tl = byRole('to_local')[0];
      if (tl?.role !== 'to_local') throw new Error('to_local');
      expect(tl.controlBlock).toEqual(toLocal.leaves[0]?.controlBlock);
      expect(tl.controlBlock).toHaveLength(33);
      expect(byRole('anchor')[0]).toMatchObject({
        amount: 240n,
        script: Uint8Array.of(0x51, 0x02, 0x4e, 0x73),
      });
      // The channel output: KeyAgg({LSP, client}) with the T_m leaf; signing keys KeySort'ed.
      const ch = channelOutput(config.lspFundingKey, config.clientFundingKey, config.channelTimeout);
      expect(c.spentOutput.script).toEqual(ch.script);
      expect(c.outputKey).toEqual(ch.outputKey);
      expect(c.tweak).toEqual(ch.tweak);
      expect(c.signingKeys).toEqual(keySort([config.lspFundingKey, config.clientFundingKey]));
      // The obscured number is in nSequence / nLockTime.
      const factor = obscuringFactor(config.lspBasepoints.payment, config.clientBasepoints.payment);
      expect(commitmentNumberFromLocks(c.tx.inputs[0]?.sequence ?? 0, c.tx.locktime, factor)).toBe(9);
      expect((c.tx.inputs[0]?.sequence ?? 0) >>> 24).toBe(0x80);
      expect(c.tx.locktime >>> 24).toBe(0x20);
    });
  }
});

describe('amounts: trimming, dust, fee (brief §7)', () => {
  const config = makeConfig();
  it('an HTLC at the trim threshold keeps its output, one msat below it is trimmed into the fee', () => {
    const t = htlcTrimThreshold(1000);
    expect(t).toBe(486n);
    const c = buildCommitment(
      config,
      OFFCHAIN_FUNDING,
      specFor(
        'lsp',
        0,
        CAP,
        100_000_000n,
        [htlc('lsp', 0n, t * 1000n, 100), htlc('client', 0n, t * 1000n - 1n, 100)],
        1000,
      ),
    );
    check(c);
    expect(c.outputs.filter((o) => o.role === 'htlc').map((o) => o.role === 'htlc' && o.offeredBy)).toEqual([
      'lsp',
    ]);
    expect(c.trimmedHtlcs).toEqual([{ offeredBy: 'client', id: 0n }]);
    expect(c.trimmedHtlcIds).toEqual([0n]);
    // fee = rate fee + the trimmed HTLC (485.999 sats) + the msat the LSP's output truncates (0.001).
    expect(c.fee).toBe(c.rateFee + 486n);
  });

  it('truncated msat of each output go to the fee; the LSP pays fee and anchor', () => {
    const c = buildCommitment(
      config,
      OFFCHAIN_FUNDING,
      specFor('client', 0, CAP, 123_456_789n, [htlc('lsp', 0n, 5_000_999n, 100)], 2500),
    );
    check(c);
    const toLocal = c.outputs.find((o) => o.role === 'to_local');
    const toRemote = c.outputs.find((o) => o.role === 'to_remote');
    expect(toLocal?.amount).toBe(123_456n);
    const lspMsat = CAP * 1000n - 123_456_789n - 5_000_999n;
    expect(toRemote?.amount).toBe(lspMsat / 1000n - c.rateFee - 240n);
    // 789 (client) + 999 (HTLC) + 212 (LSP) truncated msat: 2 sats more fee.
    expect(c.fee).toBe(c.rateFee + 2n);
  });

  it('a main output below 330 sats is left out; the LSP’s dust remainder goes to the fee; an LSP that cannot pay fee + anchor is refused', () => {
    const small = buildCommitment(config, OFFCHAIN_FUNDING, specFor('lsp', 0, CAP, 329_999n));
    check(small);
    expect(small.outputs.some((o) => o.role === 'to_remote')).toBe(false);
    // LSP with just fee + anchor + 100 sats: its output is dropped, the rest is fee.
    const vs = commitmentVsize(0, 1);
    const fee1 = BigInt(Math.ceil(vs));
    const lspSats = fee1 + 240n + 100n;
    const poorLsp = buildCommitment(
      config,
      OFFCHAIN_FUNDING,
      specFor('client', 0, CAP, (CAP - lspSats) * 1000n),
    );
    check(poorLsp);
    expect(poorLsp.outputs.map((o) => o.role).sort()).toEqual(['anchor', 'to_local']);
    expect(poorLsp.fee).toBe(fee1 + 100n);
    expect(() =>
      buildCommitment(config, OFFCHAIN_FUNDING, specFor('client', 0, CAP, (CAP - fee1 - 239n) * 1000n)),
    ).toThrow(FeeUnaffordableError);
  });

  it('balances that do not add up to the channel output, and duplicate HTLC ids, are refused', () => {
    const spec = specFor('lsp', 0, CAP, 1_000_000n);
    expect(() =>
      buildCommitment(config, OFFCHAIN_FUNDING, { ...spec, lspBalanceMsat: spec.lspBalanceMsat + 1n }),
    ).toThrow(InvalidCommitmentError);
    const dup = [htlc('lsp', 1n, 1_000_000n, 100), htlc('lsp', 1n, 2_000_000n, 100)];
    expect(() => buildCommitment(config, OFFCHAIN_FUNDING, specFor('lsp', 0, CAP, 1_000_000n, dup))).toThrow(
      /duplicate HTLC id/,
    );
    // The same id from both offerers is two HTLCs (ids count per offerer).
    const both = [htlc('lsp', 1n, 1_000_000n, 100), htlc('client', 1n, 2_000_000n, 100)];
    check(buildCommitment(config, OFFCHAIN_FUNDING, specFor('lsp', 0, CAP, 1_000_000n, both)));
  });

  it('byte-identical HTLC outputs are ordered by id; the transaction does not depend on the spec’s HTLC order', () => {
    const same = (id: bigint): HtlcSpec => ({ ...htlc('client', id, 7_000_000n, 321, 'twin'), id });
    const htlcs = [same(9n), same(2n), same(5n), htlc('lsp', 0n, 7_000_000n, 321, 'twin')];
    const a = buildCommitment(config, OFFCHAIN_FUNDING, specFor('lsp', 0, CAP, 1_000_000n, htlcs));
    const b = buildCommitment(
      config,
      OFFCHAIN_FUNDING,
      specFor('lsp', 0, CAP, 1_000_000n, [...htlcs].reverse()),
    );
    check(a);
    expect(a.unsignedBytes).toEqual(b.unsignedBytes);
    const received = a.outputs
      .filter((o) => o.role === 'htlc' && o.offeredBy === 'client')
      .map((o) => o.role === 'htlc' && o.htlcId);
    expect(received).toEqual([2n, 5n, 9n]);
  });

  it('malformed input is a typed error naming the argument', () => {
    const spec = specFor('lsp', 0, CAP, 1_000_000n);
    const argOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(PoonDryjaError.isInstance(e)).toBe(true);
        return (e as InvalidArgumentError).argument;
      }
      return undefined;
    };
    expect(argOf(() => buildCommitment(config, { ...OFFCHAIN_FUNDING, txid: 'zz' }, spec))).toBe(
      'funding.txid',
    );
    expect(argOf(() => buildCommitment({ ...config, toSelfDelay: 0 }, OFFCHAIN_FUNDING, spec))).toBe(
      'config.toSelfDelay',
    );
    expect(argOf(() => buildCommitment({ ...config, dustLimit: 200n }, OFFCHAIN_FUNDING, spec))).toBe(
      'config.dustLimit',
    );
    expect(
      argOf(() =>
        buildCommitment({ ...config, clientFundingKey: config.lspFundingKey }, OFFCHAIN_FUNDING, spec),
      ),
    ).toBe('config.clientFundingKey');
    expect(
      argOf(() => buildCommitment(config, OFFCHAIN_FUNDING, { ...spec, commitmentNumber: 2 ** 48 })),
    ).toBe('spec.commitmentNumber');
    expect(
      argOf(() =>
        buildCommitment(config, OFFCHAIN_FUNDING, {
          ...spec,
          htlcs: [{ ...htlc('lsp', 0n, 0n, 10), paymentHash: new Uint8Array(31) }],
        }),
      ),
    ).toBe('spec.htlcs[0].paymentHash');
    expect(argOf(() => buildCommitment(config, OFFCHAIN_FUNDING, { ...spec, feeRate: 1.5 }))).toBe(
      'spec.feeRate',
    );
  });

  it('signedCommitmentBytes verifies the aggregate signature first', () => {
    const c = buildCommitment(config, OFFCHAIN_FUNDING, specFor('lsp', 0, CAP, 1_000_000n));
    expect(() => signedCommitmentBytes(c, new Uint8Array(64).fill(1))).toThrow(InvalidSignatureError);
    expect(decodeTx(signCommitment(c)).inputs[0]?.witness[0]).toHaveLength(64);
  });
});

describe('properties of random commitments', () => {
  const runs = propertyRuns(200, 25);
  it(`value, fee, BIP69 order, size and sighash agree with the chain package (${runs} runs)`, {
    timeout: 120_000,
  }, () => {
    console.log(`commitment properties: ${runs} runs`);
    const config = makeConfig({ toSelfDelay: 144 });
    const htlcArb = fc.record({
      offeredBy: fc.constantFrom<Side>('lsp', 'client'),
      amountMsat: fc.oneof(fc.bigInt(0n, 600_000n), fc.bigInt(0n, 20_000_000n)),
      cltvExpiry: fc.integer({ min: 1, max: 499_999_999 }),
      label: fc.integer({ min: 0, max: 5 }),
    });
    fc.assert(
      fc.property(
        fc.constantFrom<Side>('lsp', 'client'),
        fc.bigInt(0n, (1n << 48n) - 1n).map(Number),
        fc.array(htlcArb, { maxLength: 12 }),
        fc.integer({ min: 0, max: 20_000 }),
        fc.bigInt(0n, 1000n),
        (holder, n, hs, feeRate, clientPermille) => {
          const htlcs = hs.map((h, i) => ({
            ...htlc(h.offeredBy, BigInt(i), h.amountMsat, h.cltvExpiry, `p${h.label}`),
          }));
          const inHtlcs = htlcs.reduce((s, h) => s + h.amountMsat, 0n);
          const free = CAP * 1000n - inHtlcs;
          const clientMsat = (free * clientPermille) / 1000n;
          const spec = { ...specFor(holder, 0, CAP, clientMsat, htlcs, feeRate), commitmentNumber: n };
          let c: Commitment;
          try {
            c = buildCommitment(config, OFFCHAIN_FUNDING, spec);
          } catch (e) {
            // Only the funder's inability to pay is acceptable here.
            expect(e).toBeInstanceOf(FeeUnaffordableError);
            return;
          }
          check(c);
          const threshold = htlcTrimThreshold(feeRate);
          const untrimmed = htlcs.filter((h) => h.amountMsat / 1000n >= threshold);
          expect(c.outputs.filter((o) => o.role === 'htlc')).toHaveLength(untrimmed.length);
          expect(c.trimmedHtlcs).toHaveLength(htlcs.length - untrimmed.length);
          const factor = obscuringFactor(config.lspBasepoints.payment, config.clientBasepoints.payment);
          expect(commitmentNumberFromLocks(c.tx.inputs[0]?.sequence ?? 0, c.tx.locktime, factor)).toBe(n);
        },
      ),
      { numRuns: runs },
    );
  });
});
