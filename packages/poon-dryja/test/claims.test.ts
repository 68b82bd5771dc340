import { bytesToHex } from '@noble/hashes/utils.js';
import { parseAsm } from '@superscalar/chain';
import { BelowDustError } from '@superscalar/tx';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  buildClaim,
  buildCommitment,
  buildPenalties,
  type ClaimInput,
  claimableOutputs,
  InvalidArgumentError,
  KeyMismatchError,
  offeredHtlcSuccessLeaf,
  offeredHtlcTimeoutLeaf,
  receivedHtlcSuccessLeaf,
  receivedHtlcTimeoutLeaf,
  TransactionTooLargeError,
  toLocalLeaf,
  toRemoteLeaf,
} from '../src/index.js';
import {
  CLIENT,
  htlc,
  LSP,
  makeConfig,
  OFFCHAIN_FUNDING,
  p2tr,
  pcSecret,
  preimage,
  specFor,
} from './_channel.js';

describe('claim arguments are checked before anything is signed', () => {
  const config = makeConfig();
  const c = buildCommitment(
    config,
    OFFCHAIN_FUNDING,
    specFor('lsp', 3, OFFCHAIN_FUNDING.amount, 200_000_000n, [
      htlc('lsp', 0n, 20_000_000n, 500, 'k'),
      htlc('client', 0n, 30_000_000n, 600, 'm'),
    ]),
  );
  const vout = (role: string, offeredBy?: string) =>
    c.outputs.find(
      (o) => o.role === role && (offeredBy === undefined || (o.role === 'htlc' && o.offeredBy === offeredBy)),
    )?.vout ?? -1;
  const base = { commitment: c, destinationScript: p2tr('d'), feeRate: 1_000 };

  it('claimableOutputs lists what each side can claim by a leaf', () => {
    expect(
      claimableOutputs(c, 'lsp')
        .map((x) => x.kind)
        .sort(),
    ).toEqual(['htlc_success', 'htlc_timeout', 'to_local']);
    expect(
      claimableOutputs(c, 'client')
        .map((x) => x.kind)
        .sort(),
    ).toEqual(['htlc_success', 'htlc_timeout', 'to_remote']);
  });
  it('the wrong basepoint secret is a KeyMismatchError', () => {
    expect(() =>
      buildClaim({
        ...base,
        inputs: [{ vout: vout('to_local'), kind: 'to_local', basepointSecret: CLIENT.delayedPayment }],
      }),
    ).toThrow(KeyMismatchError);
    expect(() =>
      buildClaim({
        ...base,
        inputs: [{ vout: vout('to_remote'), kind: 'to_remote', basepointSecret: LSP.payment }],
      }),
    ).toThrow(KeyMismatchError);
    // The LSP's own HTLC key cannot take the client's success leaf.
    expect(() =>
      buildClaim({
        ...base,
        inputs: [
          {
            vout: vout('htlc', 'lsp'),
            kind: 'htlc_success',
            basepointSecret: LSP.htlc,
            preimage: preimage('k').preimage,
          },
        ],
      }),
    ).toThrow(KeyMismatchError);
  });
  it('a wrong preimage, a wrong kind, a duplicate output, two claimants are refused', () => {
    expect(() =>
      buildClaim({
        ...base,
        inputs: [
          {
            vout: vout('htlc', 'lsp'),
            kind: 'htlc_success',
            basepointSecret: CLIENT.htlc,
            preimage: preimage('x').preimage,
          },
        ],
      }),
    ).toThrow(/does not hash/);
    expect(() =>
      buildClaim({
        ...base,
        inputs: [{ vout: vout('to_local'), kind: 'to_remote', basepointSecret: CLIENT.payment }],
      }),
    ).toThrow(InvalidArgumentError);
    const tl = { vout: vout('to_local'), kind: 'to_local', basepointSecret: LSP.delayedPayment } as const;
    expect(() => buildClaim({ ...base, inputs: [tl, tl] })).toThrow(/claimed twice/);
    expect(() =>
      buildClaim({
        ...base,
        inputs: [tl, { vout: vout('to_remote'), kind: 'to_remote', basepointSecret: CLIENT.payment }],
      }),
    ).toThrow(/one claimant/);
    expect(() => buildClaim({ ...base, inputs: [{ ...tl, vout: 99 }] })).toThrow(/inputs\[0\]\.vout/);
  });
  it('a claim whose fee eats the output below dust is a BelowDustError', () => {
    expect(() =>
      buildClaim({
        ...base,
        feeRate: 100_000_000,
        inputs: [{ vout: vout('to_local'), kind: 'to_local', basepointSecret: LSP.delayedPayment }],
      }),
    ).toThrow(BelowDustError);
  });
  it('claims sign with injected randomness: the same rng gives the same bytes', () => {
    const rng = (n: number) => new Uint8Array(n).fill(7);
    const args = {
      ...base,
      rng,
      inputs: [{ vout: vout('to_local'), kind: 'to_local', basepointSecret: LSP.delayedPayment }] as const,
    };
    expect(bytesToHex(buildClaim(args).bytes)).toBe(bytesToHex(buildClaim(args).bytes));
  });
});

describe('leaf scripts equal the chain package’s assembly of brief §7’s text, for any numbers (minimal pushes)', () => {
  const runs = propertyRuns(500, 50);
  it(`${runs} runs`, () => {
    console.log(`leaf script properties: ${runs} runs`);
    const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(
        key,
        key,
        fc.integer({ min: 1, max: 0xffff }),
        fc.integer({ min: 1, max: 499_999_999 }),
        (k, h, csv, cltv) => {
          const K = `0x20 0x${bytesToHex(k)}`;
          const Hh = `0x20 0x${bytesToHex(h)}`;
          expect(toLocalLeaf(csv, k)).toEqual(
            parseAsm(`${csv} OP_CHECKSEQUENCEVERIFY OP_DROP ${K} OP_CHECKSIG`),
          );
          expect(toRemoteLeaf(k)).toEqual(parseAsm(`${K} OP_CHECKSIGVERIFY 1 OP_CHECKSEQUENCEVERIFY`));
          expect(offeredHtlcSuccessLeaf(h, k)).toEqual(
            parseAsm(
              `OP_SIZE 32 OP_EQUALVERIFY OP_SHA256 ${Hh} OP_EQUALVERIFY ${K} OP_CHECKSIGVERIFY 1 OP_CHECKSEQUENCEVERIFY`,
            ),
          );
          expect(offeredHtlcTimeoutLeaf(cltv, csv, k)).toEqual(
            parseAsm(
              `${cltv} OP_CHECKLOCKTIMEVERIFY OP_DROP ${csv} OP_CHECKSEQUENCEVERIFY OP_DROP ${K} OP_CHECKSIG`,
            ),
          );
          expect(receivedHtlcSuccessLeaf(h, csv, k)).toEqual(
            parseAsm(
              `OP_SIZE 32 OP_EQUALVERIFY OP_SHA256 ${Hh} OP_EQUALVERIFY ${csv} OP_CHECKSEQUENCEVERIFY OP_DROP ${K} OP_CHECKSIG`,
            ),
          );
          expect(receivedHtlcTimeoutLeaf(cltv, k)).toEqual(
            parseAsm(
              `${cltv} OP_CHECKLOCKTIMEVERIFY OP_DROP ${K} OP_CHECKSIGVERIFY 1 OP_CHECKSEQUENCEVERIFY`,
            ),
          );
        },
      ),
      { numRuns: runs },
    );
  });
  it('out-of-range locks are refused', () => {
    const k = new Uint8Array(32);
    expect(() => toLocalLeaf(0x10000, k)).toThrow(/toSelfDelay/);
    expect(() => receivedHtlcTimeoutLeaf(500_000_000, k)).toThrow(/cltvExpiry/);
  });
});

describe('size and emptiness limits', () => {
  it('a batched claim above 10,000 vB is refused (TRUC); split it', () => {
    const cap = 10_000_000n;
    const funding = { ...OFFCHAIN_FUNDING, amount: cap };
    const htlcs = [
      ...Array.from({ length: 114 }, (_, i) => htlc('lsp', BigInt(i), 10_000_000n, 500 + i)),
      ...Array.from({ length: 114 }, (_, i) => htlc('client', BigInt(i), 10_000_000n, 700 + i)),
    ];
    const c = buildCommitment(makeConfig(), funding, specFor('lsp', 0, cap, 1_000_000_000n, htlcs));
    // Every HTLC the LSP can claim on its own commitment: 114 timeouts and 114 successes.
    const inputs = c.outputs.flatMap((o): ClaimInput[] =>
      o.role !== 'htlc'
        ? []
        : o.offeredBy === 'lsp'
          ? [{ vout: o.vout, kind: 'htlc_timeout' as const, basepointSecret: LSP.htlc }]
          : [
              {
                vout: o.vout,
                kind: 'htlc_success' as const,
                basepointSecret: LSP.htlc,
                preimage: preimage(`client${o.htlcId}`).preimage,
              },
            ],
    );
    expect(inputs).toHaveLength(228);
    let err: unknown;
    try {
      buildClaim({ commitment: c, inputs, destinationScript: p2tr('d'), feeRate: 1_000 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TransactionTooLargeError);
    expect((err as TransactionTooLargeError).vsize).toBeGreaterThan(10_000);
    // Half of them fit.
    const half = buildClaim({
      commitment: c,
      inputs: inputs.slice(0, 20),
      destinationScript: p2tr('d'),
      feeRate: 1_000,
    });
    expect(half.vsize).toBeLessThanOrEqual(10_000);
  });

  it('a revoked commitment with nothing but to_remote has an empty penalty set', () => {
    const c = buildCommitment(
      makeConfig(),
      OFFCHAIN_FUNDING,
      specFor('client', 0, OFFCHAIN_FUNDING.amount, 0n),
    );
    expect(c.outputs.map((o) => o.role).sort()).toEqual(['anchor', 'to_remote']);
    const set = buildPenalties({
      commitment: c,
      perCommitmentSecret: pcSecret('client', 0),
      revocationBasepointSecret: LSP.revocation,
      sweepScript: p2tr('s'),
      feeRate: 1_000,
    });
    expect(set.transactions).toEqual([]);
    expect(set.unswept).toEqual([]);
  });

  it('a penalty batch that would pay below dust is reported unswept, not signed', () => {
    const c = buildCommitment(
      makeConfig(),
      OFFCHAIN_FUNDING,
      specFor('client', 0, OFFCHAIN_FUNDING.amount, 2_000_000n),
    );
    const set = buildPenalties({
      commitment: c,
      perCommitmentSecret: pcSecret('client', 0),
      revocationBasepointSecret: LSP.revocation,
      sweepScript: p2tr('s'),
      feeRate: 20_000,
    });
    // 2,000 sats to_local − 240 anchor − ~2,200 fee < 330.
    expect(set.transactions).toEqual([]);
    expect(set.unswept).toEqual([c.outputs.find((o) => o.role === 'to_local')?.vout]);
  });
});
