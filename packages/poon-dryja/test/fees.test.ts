import { ANCHOR_AMOUNT, TRUC_MAX_VSIZE } from '@superscalar/tx';
import { describe, expect, it } from 'vitest';
import {
  buildCommitment,
  commitmentFee,
  commitmentVsize,
  defaultMaxDustExposure,
  defaultReserve,
  dustExposure,
  goToChainHeight,
  htlcTrimThreshold,
  InvalidArgumentError,
  isTrimmed,
  lspCanAfford,
  lspRequiredBalance,
  MAX_UNTRIMMED_HTLCS_PER_DIRECTION,
  maxCltvExpiry,
  maxInitialClientBalance,
  minCltvExpiryDelta,
  untrimmedHtlcCount,
} from '../src/index.js';
import { htlc, makeConfig, OFFCHAIN_FUNDING, specFor } from './_channel.js';

describe('fees.ts', () => {
  it('commitment vsize: 114 + 114 HTLCs fit TRUC (9,971 vB), 115 + 114 do not (10,014 vB)', () => {
    expect(commitmentVsize(0)).toBe(167);
    expect(commitmentVsize(2 * MAX_UNTRIMMED_HTLCS_PER_DIRECTION)).toBe(9_971);
    expect(commitmentVsize(2 * MAX_UNTRIMMED_HTLCS_PER_DIRECTION + 1)).toBe(10_014);
    expect(commitmentVsize(2 * MAX_UNTRIMMED_HTLCS_PER_DIRECTION)).toBeLessThanOrEqual(TRUC_MAX_VSIZE);
    expect(commitmentFee(0, 1000)).toBe(167n);
    expect(commitmentFee(0, 1001)).toBe(168n); // rounded up
  });

  it('the trim threshold is 330 + ceil(feeRate × 156 / 1000)', () => {
    expect(htlcTrimThreshold(0)).toBe(330n);
    expect(htlcTrimThreshold(1)).toBe(331n);
    expect(htlcTrimThreshold(1000)).toBe(486n);
    expect(htlcTrimThreshold(2500)).toBe(720n);
    expect(isTrimmed(486_000n, 1000)).toBe(false);
    expect(isTrimmed(485_999n, 1000)).toBe(true);
    expect(untrimmedHtlcCount([{ amountMsat: 486_000n }, { amountMsat: 1n }], 1000)).toBe(1);
  });

  it('reserve, dust exposure and initial balance defaults (brief §2, §7)', () => {
    expect(defaultReserve(10_000n)).toBe(330n);
    expect(defaultReserve(100_000n)).toBe(1_000n);
    expect(defaultReserve(100_001n)).toBe(1_001n);
    expect(defaultMaxDustExposure(100_000n)).toBe(5_000n);
    expect(defaultMaxDustExposure(1_000_000n)).toBe(10_000n);
    const cap = OFFCHAIN_FUNDING.amount;
    const reserve = defaultReserve(cap);
    const b = maxInitialClientBalance(cap, reserve, 1000);
    expect(b).toBe(cap - reserve - 167n - 240n);
    // The initial commitment with that balance leaves the LSP exactly its reserve.
    const c = buildCommitment(makeConfig(), OFFCHAIN_FUNDING, specFor('client', 0, cap, b * 1000n));
    expect(c.outputs.find((o) => o.role === 'to_remote')?.amount).toBe(reserve);
  });

  it('affordability: the LSP keeps reserve + fee (with room for one more HTLC each way) + anchor', () => {
    const htlcs = [{ amountMsat: 10_000_000n }, { amountMsat: 100_000n }];
    const required = lspRequiredBalance(htlcs, 1000, 10_000n);
    expect(required).toBe(10_000n + commitmentFee(1 + 2, 1000) + ANCHOR_AMOUNT);
    expect(lspCanAfford({ lspBalanceMsat: required * 1000n, htlcs, feeRate: 1000, reserve: 10_000n })).toBe(
      true,
    );
    expect(
      lspCanAfford({ lspBalanceMsat: required * 1000n - 1n, htlcs, feeRate: 1000, reserve: 10_000n }),
    ).toBe(false);
  });

  it('dust exposure: trimmed HTLC sats plus the commitment fee', () => {
    const htlcs = [{ amountMsat: 10_000_000n }, { amountMsat: 100_999n }, { amountMsat: 485_000n }];
    expect(dustExposure(htlcs, 1000)).toBe(100n + 485n + commitmentFee(1, 1000));
    expect(dustExposure([], 0)).toBe(0n);
  });

  it('bad arguments are typed errors', () => {
    expect(() => htlcTrimThreshold(-1)).toThrow(InvalidArgumentError);
    expect(() => commitmentVsize(0, 3)).toThrow(InvalidArgumentError);
    expect(() => defaultReserve(-1n)).toThrow(InvalidArgumentError);
  });
});

describe('deadlines.ts (brief §7)', () => {
  const p = {
    exitDelay: 1_296,
    toSelfDelay: 144,
    htlcBudget: 72,
    pathTxs: 8,
    exitMargin: 144,
    channelTimeout: 900_000,
  };
  it('minCltvExpiryDelta = exitDelay + toSelfDelay + htlcBudget (1,512 for §3.4’s example)', () => {
    expect(minCltvExpiryDelta(p)).toBe(1_512);
  });
  it('maxCltvExpiry = T_m − exitDelay − pathTxs − exitMargin', () => {
    expect(maxCltvExpiry(p)).toBe(900_000 - 1_296 - 8 - 144);
  });
  it('goToChainHeight is the earlier of the HTLC’s and the channel’s deadline', () => {
    expect(goToChainHeight(800_000, p)).toBe(800_000 - 1_512);
    expect(goToChainHeight(899_990, p)).toBe(899_990 - 1_512);
    // An expiry later than T_m + 64 is bounded by the channel's own deadline.
    expect(goToChainHeight(900_100, p)).toBe(900_000 - 1_296 - 8 - 144);
    expect(() => goToChainHeight(0, p)).toThrow(InvalidArgumentError);
    expect(() => goToChainHeight(800_000, { ...p, toSelfDelay: 0 })).toThrow(/params.toSelfDelay/);
  });
});

describe('a commitment at the affordability limit still builds', () => {
  it('an LSP with exactly lspRequiredBalance pays the fee of one more HTLC each way and keeps its reserve', () => {
    const cap = OFFCHAIN_FUNDING.amount;
    const feeRate = 5_000;
    const htlcs = [htlc('lsp', 0n, 50_000_000n, 100)];
    const required = lspRequiredBalance(htlcs, feeRate, 330n);
    // Add one more untrimmed HTLC each way (paid by the client's balance): the LSP's balance still covers them.
    const more = [...htlcs, htlc('lsp', 1n, 2_000_000n, 100), htlc('client', 0n, 2_000_000n, 100)];
    const inHtlcs = more.reduce((s, h) => s + h.amountMsat, 0n);
    const spec = {
      ...specFor('client', 0, cap, 0n, more, feeRate),
      lspBalanceMsat: required * 1000n,
      clientBalanceMsat: cap * 1000n - required * 1000n - inHtlcs,
    };
    const c = buildCommitment(makeConfig(), OFFCHAIN_FUNDING, spec);
    expect(c.outputs.filter((o) => o.role === 'htlc')).toHaveLength(3);
    expect(c.outputs.find((o) => o.role === 'to_remote')?.amount).toBe(330n);
  });
});
