import { decodeTx, STANDARD_FLAGS, verifyTx } from '@superscalar/chain';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  buildClaim,
  buildCommitment,
  buildPenalties,
  type ClaimInput,
  claimableOutputs,
  HTLC_CLAIM_VSIZE,
  type Side,
} from '../src/index.js';
import { htlc, keysOf, makeConfig, OFFCHAIN_FUNDING, p2tr, pcSecret, preimage, specFor } from './_channel.js';

// Every claim and penalty input, built on random commitments (any toSelfDelay, expiry, amounts,
// holder), passes the chain package's script interpreter with Core's standard flags: the interpreter
// checks the witness, the leaf, the control block, the BIP341 sighash and the CSV/CLTV against the
// transaction's own nSequence and nLockTime.
describe('claims and penalties pass the chain package’s interpreter on random commitments', () => {
  const runs = propertyRuns(60, 10);
  it(`${runs} runs`, { timeout: 120_000 }, () => {
    console.log(`claim/penalty interpreter properties: ${runs} runs`);
    fc.assert(
      fc.property(
        fc.constantFrom<Side>('lsp', 'client'),
        fc.integer({ min: 1, max: 0xffff }),
        fc.array(
          fc.record({
            offeredBy: fc.constantFrom<Side>('lsp', 'client'),
            amountMsat: fc.bigInt(1_000_000n, 50_000_000n),
            cltvExpiry: fc.integer({ min: 1, max: 499_999_999 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.integer({ min: 1, max: 100_000 }),
        (holder, toSelfDelay, hs, n) => {
          const config = makeConfig({ toSelfDelay });
          const htlcs = hs.map((h, i) => htlc(h.offeredBy, BigInt(i), h.amountMsat, h.cltvExpiry, `r${i}`));
          const c = buildCommitment(
            config,
            OFFCHAIN_FUNDING,
            specFor(holder, n, OFFCHAIN_FUNDING.amount, 300_000_000n, htlcs),
          );
          const spentOf = (vouts: readonly number[]) =>
            vouts.map((v) => ({
              value: c.outputs[v]?.amount ?? 0n,
              script: c.outputs[v]?.script ?? new Uint8Array(),
            }));
          for (const side of ['lsp', 'client'] as const) {
            const k = keysOf(side);
            const inputs: ClaimInput[] = claimableOutputs(c, side).map(({ vout, kind }) => {
              const o = c.outputs[vout];
              if (kind === 'to_local') return { vout, kind, basepointSecret: k.delayedPayment };
              if (kind === 'to_remote') return { vout, kind, basepointSecret: k.payment };
              if (o?.role !== 'htlc') throw new Error('htlc');
              return kind === 'htlc_success'
                ? { vout, kind, basepointSecret: k.htlc, preimage: preimage(`r${o.htlcId}`).preimage }
                : { vout, kind, basepointSecret: k.htlc };
            });
            // One claim per output, and all of them batched.
            for (const input of inputs) {
              const claim = buildClaim({
                commitment: c,
                inputs: [input],
                destinationScript: p2tr('p'),
                feeRate: 1_000,
              });
              verifyTx(decodeTx(claim.bytes), spentOf([input.vout]), STANDARD_FLAGS);
              // The trim threshold budgets 156 vB per HTLC claim (brief §7): no claim is larger.
              if (input.kind === 'htlc_success' || input.kind === 'htlc_timeout')
                expect(claim.vsize).toBeLessThanOrEqual(HTLC_CLAIM_VSIZE);
            }
            const batch = buildClaim({ commitment: c, inputs, destinationScript: p2tr('p'), feeRate: 1_000 });
            verifyTx(decodeTx(batch.bytes), spentOf(inputs.map((i) => i.vout)), STANDARD_FLAGS);
          }
          const remote: Side = holder === 'lsp' ? 'client' : 'lsp';
          const set = buildPenalties({
            commitment: c,
            perCommitmentSecret: pcSecret(holder, n),
            revocationBasepointSecret: keysOf(remote).revocation,
            sweepScript: p2tr('p'),
            feeRate: 1_000,
          });
          expect(set.unswept).toEqual([]);
          for (const t of set.transactions) verifyTx(decodeTx(t.bytes), spentOf(t.vouts), STANDARD_FLAGS);
        },
      ),
      { numRuns: runs },
    );
  });
});
