// htlcSpendOf (BOLT 5's preimage extraction): every path of both HTLC kinds, on both holders'
// commitments, read from real claims' witnesses; malformed witnesses are `unrecognised`, never thrown.
import { decodeTx } from '@superscalar/tx';
import { describe, expect, it } from 'vitest';
import {
  buildClaim,
  buildCommitment,
  type Commitment,
  type HtlcOutput,
  htlcSpendOf,
  type Side,
} from '../src/index.js';
import { CLIENT, htlc, LSP, makeConfig, OFFCHAIN_FUNDING, p2tr, preimage, specFor } from './_channel.js';

const keys = (s: Side) => (s === 'lsp' ? LSP : CLIENT);
const other = (s: Side): Side => (s === 'lsp' ? 'client' : 'lsp');

function commitmentOf(holder: Side): Commitment {
  return buildCommitment(
    makeConfig(),
    OFFCHAIN_FUNDING,
    specFor(holder, 3, OFFCHAIN_FUNDING.amount, 200_000_000n, [
      htlc('lsp', 0n, 20_000_000n, 500, 'k'),
      htlc('client', 0n, 30_000_000n, 600, 'm'),
    ]),
  );
}

const htlcOf = (c: Commitment, offeredBy: Side) =>
  c.outputs.find((o): o is HtlcOutput => o.role === 'htlc' && o.offeredBy === offeredBy) as HtlcOutput;
const labelOf = (offeredBy: Side) => (offeredBy === 'lsp' ? 'k' : 'm');

/** The witness of a claim of `o` by `kind` (the success leaf belongs to the side the HTLC was offered to). */
function claimWitness(c: Commitment, o: HtlcOutput, kind: 'htlc_success' | 'htlc_timeout'): Uint8Array[] {
  const claimant = kind === 'htlc_success' ? other(o.offeredBy) : o.offeredBy;
  const claim = buildClaim({
    commitment: c,
    inputs: [
      {
        vout: o.vout,
        kind,
        basepointSecret: keys(claimant).htlc,
        ...(kind === 'htlc_success' ? { preimage: preimage(labelOf(o.offeredBy)).preimage } : {}),
      },
    ],
    destinationScript: p2tr('d'),
    feeRate: 1_000,
  });
  return [...(decodeTx(claim.bytes).inputs[0]?.witness ?? [])];
}

describe('htlcSpendOf reads a spend of an HTLC output by its path', () => {
  for (const holder of ['lsp', 'client'] as const)
    for (const offeredBy of ['lsp', 'client'] as const) {
      const c = commitmentOf(holder);
      const o = htlcOf(c, offeredBy);
      const kind = holder === offeredBy ? 'offered' : 'received';
      it(`${holder}'s commitment, ${kind} HTLC: the success leaf gives the preimage`, () => {
        const w = claimWitness(c, o, 'htlc_success');
        expect(w).toHaveLength(4);
        const r = htlcSpendOf(w, o);
        expect(r.path).toBe('success');
        expect(r.path === 'success' && r.preimage).toEqual(preimage(labelOf(offeredBy)).preimage);
      });
      it(`${holder}'s commitment, ${kind} HTLC: the timeout leaf gives nothing`, () => {
        expect(htlcSpendOf(claimWitness(c, o, 'htlc_timeout'), o)).toEqual({ path: 'timeout' });
      });
    }

  it('one element is the revocation key path (a penalty); an annex is dropped first', () => {
    const o = htlcOf(commitmentOf('lsp'), 'lsp');
    expect(htlcSpendOf([new Uint8Array(64)], o)).toEqual({ path: 'key' });
    expect(htlcSpendOf([new Uint8Array(64), Uint8Array.of(0x50, 1)], o)).toEqual({ path: 'key' });
    const w = claimWitness(commitmentOf('lsp'), o, 'htlc_success');
    expect(htlcSpendOf([...w, Uint8Array.of(0x50)], o).path).toBe('success');
  });
});

describe('htlcSpendOf ignores what is not a preimage spend of that output, and never throws', () => {
  const c = commitmentOf('client');
  const o = htlcOf(c, 'lsp');
  const good = claimWitness(c, o, 'htlc_success');
  const [sig, pre, script, control] = good as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  const cases: [string, unknown][] = [
    ['a junk 32-byte element where the preimage goes', [sig, new Uint8Array(32).fill(7), script, control]],
    ['a 33-byte element where the preimage goes', [sig, Uint8Array.of(...pre, 0), script, control]],
    ['the preimage of another HTLC', [sig, preimage('m').preimage, script, control]],
    ['a missing signature', [pre, script, control]],
    ['an extra element', [sig, sig, pre, script, control]],
    ['another script', [sig, pre, Uint8Array.of(0x51), control]],
    ['the other output’s success leaf', [sig, pre, htlcOf(c, 'client').successLeaf, control]],
    ['a short control block', [sig, pre, script, control.subarray(0, 32)]],
    ['a control block of a bad length', [sig, pre, script, Uint8Array.of(...control, 1)]],
    [
      'a control block with another leaf version',
      [sig, pre, script, Uint8Array.of(0xc2, ...control.subarray(1))],
    ],
    ['an empty witness', []],
    ['a timeout leaf with a preimage', [sig, pre, o.timeoutLeaf, control]],
    ['not an array', 'witness'],
    ['null', null],
    ['elements that are not bytes', [sig, 'pre', script, control]],
  ];
  for (const [name, w] of cases)
    it(name, () => {
      const r = htlcSpendOf(w as Uint8Array[], o);
      expect(r.path).toBe('unrecognised');
      expect(r.path === 'unrecognised' && r.reason.length).toBeGreaterThan(0);
    });

  it('without an HTLC output to check against', () => {
    expect(htlcSpendOf(good, undefined as unknown as HtlcOutput).path).toBe('unrecognised');
  });

  it('the preimage returned is a copy', () => {
    const r = htlcSpendOf(good, o);
    if (r.path !== 'success') throw new Error('not a success spend');
    r.preimage.fill(0);
    expect(good[1]).toEqual(pre);
  });
});
