// Brief §5.4 "Capacity change": commitment n rebound on a channel output of another amount keeps its
// point, keys, nSequence, nLockTime and HTLC outputs; the LSP's balance changes by c_new − c_old and
// the liquidity fee moves from the client to the LSP; the fee is the exact new transaction's; each of
// §5.4's refusals is a typed error naming its rule. Examples, then a property over random channels.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  buildCommitment,
  CapacityChangeRejectedError,
  type CapacityChangeRule,
  type Commitment,
  commitmentVsize,
  feeForVsize,
  type HtlcSpec,
  InvalidArgumentError,
  type RebindOptions,
  rebindCommitment,
  reboundSpec,
  type Side,
} from '../src/index.js';
import { htlc, makeConfig, specFor } from './_channel.js';

const config = makeConfig();
const A = { txid: 'a1'.repeat(32), vout: 0, amount: 1_000_000n };
const at = (amount: bigint) => ({ txid: 'b2'.repeat(32), vout: 3, amount });
const HTLCS = [htlc('lsp', 3n, 30_000_000n, 1_000), htlc('client', 8n, 20_000_000n, 1_010)];

const sats = (c: Commitment, role: 'to_local' | 'to_remote') =>
  c.outputs.find((o) => o.role === role)?.amount;
const lspOut = (c: Commitment) => sats(c, c.holder === 'lsp' ? 'to_local' : 'to_remote');
const clientOut = (c: Commitment) => sats(c, c.holder === 'lsp' ? 'to_remote' : 'to_local');
const htlcOuts = (c: Commitment) =>
  c.outputs
    .filter((o) => o.role === 'htlc')
    .map((o) => `${o.amount}:${Buffer.from(o.script).toString('hex')}`)
    .sort();

function rule(f: () => unknown): CapacityChangeRule | string {
  try {
    f();
  } catch (e) {
    if (CapacityChangeRejectedError.isInstance(e)) return (e as CapacityChangeRejectedError).rule;
    return `other: ${String(e)}`;
  }
  return 'accepted';
}

describe('rebinding with a capacity change (brief §5.4)', () => {
  for (const holder of ['lsp', 'client'] as const)
    it(`the ${holder}'s commitment: LSP +(Δ + fee), client −fee, HTLCs, locks and keys kept, fee exact`, () => {
      const old = buildCommitment(config, A, specFor(holder, 7, A.amount, 300_000_000n, HTLCS));
      const rebound = rebindCommitment(old, at(1_400_000n), { liquidityFeeMsat: 2_500_000n });
      expect(rebound.commitmentNumber).toBe(7);
      expect(rebound.perCommitmentPoint).toEqual(old.perCommitmentPoint);
      expect(rebound.keys).toEqual(old.keys);
      expect(rebound.tx.locktime).toBe(old.tx.locktime);
      expect(rebound.tx.inputs[0]?.sequence).toBe(old.tx.inputs[0]?.sequence);
      expect(htlcOuts(rebound)).toEqual(htlcOuts(old));
      expect(htlcOuts(rebound)).toHaveLength(2);
      expect(clientOut(rebound)).toBe(297_500n);
      expect(clientOut(old)).toBe(300_000n);
      // Same outputs count: the same vsize and fee, so the LSP's output moves by exactly Δ + fee.
      expect(rebound.vsize).toBe(old.vsize);
      expect(lspOut(rebound)).toBe((lspOut(old) as bigint) + 400_000n + 2_500n);
      expect(rebound.rateFee).toBe(feeForVsize(1_000, commitmentVsize(2)));
      const total = rebound.outputs.reduce((s, o) => s + o.amount, 0n) + rebound.fee;
      expect(total).toBe(1_400_000n);
      expect(rebound.spec.lspBalanceMsat).toBe(old.spec.lspBalanceMsat + 402_500_000n);
      expect(
        reboundSpec(old.spec, {
          oldCapacity: A.amount,
          newCapacity: 1_400_000n,
          liquidityFeeMsat: 2_500_000n,
        }),
      ).toEqual(rebound.spec);
    });

  it('a smaller capacity takes the difference from the LSP; the fee is recomputed when an output disappears', () => {
    const old = buildCommitment(config, A, specFor('client', 2, A.amount, 300_000_000n, HTLCS));
    const smaller = rebindCommitment(old, at(700_000n));
    expect(lspOut(smaller)).toBe((lspOut(old) as bigint) - 300_000n);
    expect(clientOut(smaller)).toBe(clientOut(old));
    // A client with no balance output on the old copy: none on the new one either; the fee is that
    // of the exact (smaller) transaction.
    const empty = buildCommitment(config, A, specFor('lsp', 2, A.amount, 100_000n));
    expect(clientOut(empty)).toBeUndefined();
    const grown = rebindCommitment(empty, at(1_500_000n));
    expect(clientOut(grown)).toBeUndefined();
    expect(grown.rateFee).toBe(feeForVsize(1_000, commitmentVsize(0, 1)));
    expect(grown.outputs.reduce((s, o) => s + o.amount, 0n) + grown.fee).toBe(1_500_000n);
  });

  it('each refusal names its rule', () => {
    const spec = (clientMsat: bigint, htlcs: readonly HtlcSpec[] = HTLCS, holder: Side = 'client') =>
      buildCommitment(config, A, specFor(holder, 4, A.amount, clientMsat, htlcs));
    const fee = (c: Commitment, amount: bigint, o: RebindOptions) => () => rebindCommitment(c, at(amount), o);
    // The client's balance is below the fee.
    expect(rule(fee(spec(1_000_000n), A.amount, { liquidityFeeMsat: 1_000_001n }))).toBe('fee-above-balance');
    // The capacity shrinks by more than the LSP's 650,000 sats.
    expect(rule(fee(spec(300_000_000n), 340_000n, {}))).toBe('lsp-balance');
    // The client's 700-sat output would hold 200 after the fee.
    expect(rule(fee(spec(700_000n, []), A.amount, { liquidityFeeMsat: 500_000n }))).toBe('output-below-dust');
    // The LSP's output (present) would hold 600 − fee − 240 < 330 after the capacity shrinks.
    const lsp = spec(300_000_000n, []);
    expect(rule(fee(lsp, 300_600n, {}))).toBe('output-below-dust');
    // The LSP cannot even pay the fee and the anchor.
    expect(rule(fee(lsp, 300_300n, {}))).toBe('affordability');
    // Paying a fee takes the client below the new reserve (1% of 1,000,000).
    expect(rule(fee(spec(5_000_000n, []), A.amount, { liquidityFeeMsat: 1_000_000n }))).toBe(
      'client-reserve',
    );
    // The LSP keeps an output but not reserve + fee + anchor.
    expect(rule(fee(lsp, 303_000n, {}))).toBe('affordability');
    // Twelve trimmed HTLCs (5,400 sats) plus the fee exceed max(5,000, 1%) of a 400,000-sat capacity.
    const dust = Array.from({ length: 12 }, (_, i) => htlc('lsp', BigInt(i), 450_000n, 1_000));
    expect(rule(fee(spec(300_000_000n, dust), 400_000n, {}))).toBe('dust-exposure');
    expect(rule(fee(spec(300_000_000n, dust), 600_000n, {}))).toBe('accepted');
    // Explicit limits replace the new capacity's defaults.
    expect(rule(fee(spec(300_000_000n), 1_100_000n, { maxDustExposure: 100n }))).toBe('dust-exposure');
    expect(rule(fee(spec(5_000_000n, []), A.amount, { liquidityFeeMsat: 1_000_000n, reserve: 330n }))).toBe(
      'accepted',
    );
    // Malformed options are argument errors.
    expect(() => rebindCommitment(lsp, at(A.amount), { liquidityFeeMsat: -1n })).toThrow(
      InvalidArgumentError,
    );
  });

  const runs = propertyRuns(200, 40);
  it(`random channels: accepted copies conserve amounts and keep HTLCs; refusals are typed (${runs} runs)`, () => {
    console.log(`capacity change property: ${runs} runs`);
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.record({
          holder: fc.constantFrom('lsp' as const, 'client' as const),
          capacity: fc.bigInt({ min: 20_000n, max: 5_000_000n }),
          clientShare: fc.integer({ min: 0, max: 1000 }),
          newCapacity: fc.bigInt({ min: 10_000n, max: 6_000_000n }),
          feeShare: fc.integer({ min: 0, max: 1000 }),
          htlcs: fc.array(fc.record({ lsp: fc.boolean(), share: fc.integer({ min: 0, max: 50 }) }), {
            maxLength: 4,
          }),
          feeRate: fc.integer({ min: 1_000, max: 20_000 }),
        }),
        (r) => {
          const capMsat = r.capacity * 1000n;
          const hs = r.htlcs.map((h, i) =>
            htlc(h.lsp ? 'lsp' : 'client', BigInt(i), (capMsat * BigInt(h.share)) / 1000n, 1_000 + i),
          );
          const inHtlcs = hs.reduce((s, h) => s + h.amountMsat, 0n);
          const clientMsat = ((capMsat - inHtlcs) * BigInt(r.clientShare)) / 2000n;
          const funding = { ...A, amount: r.capacity };
          let old: Commitment;
          try {
            old = buildCommitment(
              config,
              funding,
              specFor(r.holder, 3, r.capacity, clientMsat, hs, r.feeRate),
            );
          } catch {
            return; // not a valid commitment to start from
          }
          const fee = (clientMsat * BigInt(r.feeShare)) / 1000n;
          let rebound: Commitment;
          try {
            rebound = rebindCommitment(old, at(r.newCapacity), { liquidityFeeMsat: fee });
          } catch (e) {
            expect(CapacityChangeRejectedError.isInstance(e)).toBe(true);
            return;
          }
          accepted++;
          expect(rebound.outputs.reduce((s, o) => s + o.amount, 0n) + rebound.fee).toBe(r.newCapacity);
          expect(htlcOuts(rebound)).toEqual(htlcOuts(old));
          expect(rebound.spec.clientBalanceMsat).toBe(clientMsat - fee);
          expect(rebound.spec.lspBalanceMsat).toBe(
            old.spec.lspBalanceMsat + (r.newCapacity - r.capacity) * 1000n + fee,
          );
          expect(rebound.rateFee).toBe(feeForVsize(r.feeRate, rebound.vsize));
          for (const role of ['to_local', 'to_remote'] as const)
            if (old.outputs.some((o) => o.role === role))
              expect(sats(rebound, role) ?? 0n).toBeGreaterThanOrEqual(330n);
        },
      ),
      { numRuns: runs },
    );
    expect(accepted).toBeGreaterThan(0);
  });
});
