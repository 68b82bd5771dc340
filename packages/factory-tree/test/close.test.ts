// Unit and property tests of the cooperative close and the client's check (brief §6).
import { vsize as chainVsize, decodeTx } from '@superscalar/chain';
import { equalBytes as bytesEqual } from '@superscalar/core';
import { encodeTx, type Tx } from '@superscalar/tx';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  buildCooperativeClose,
  CloseRejectedError,
  checkCooperativeClose,
  cooperativeCloseSighash,
  type FactoryTree,
  InvalidArgumentError,
  SpendError,
} from '../src/index.js';
import { unfundedTree } from './_harness.js';

const RUNS = propertyRuns(300, 40);
console.log(`close properties: ${RUNS} runs`);

describe('buildCooperativeClose', () => {
  let tree: FactoryTree;
  beforeAll(() => {
    // Placement by uptime, so placement order differs from clients[] order.
    tree = unfundedTree({
      n: 7,
      profile: (i) => ({ contribution: 0n, uptime: (i * 3) % 7, timezone: 0 }),
      overrides: { placement: 'outward' },
    });
  });
  const arbBalance = fc.oneof(
    fc.constant(0n),
    fc.bigInt({ min: 1n, max: 329n }),
    fc.bigInt({ min: 330n, max: 100_000n }),
  );

  it('pays clients ≥ 330 in placement order, the LSP the rest minus the exact fee; every honest client check passes', () => {
    const p = tree.proposal;
    fc.assert(
      fc.property(
        fc.array(arbBalance, { minLength: 7, maxLength: 7 }),
        fc.integer({ min: 0, max: 50_000 }),
        fc.integer({ min: 1, max: 499_999_999 }),
        (balances, closeFeeRate, tipHeight) => {
          const close = buildCooperativeClose(tree, { balances, tipHeight, closeFeeRate });
          expect(close.tx).toMatchObject({
            version: 2,
            locktime: tipHeight,
            inputs: [{ sequence: 0xfffffffd }],
          });
          const paidOrder = tree.layout.order.filter((c) => (balances[c] as bigint) >= 330n);
          expect(close.outputs.map((o) => o.owner)).toEqual([...paidOrder, -1]);
          close.tx.outputs.forEach((o, i) => {
            const owner = close.outputs[i]?.owner as number;
            expect(o.script).toEqual(owner < 0 ? p.lsp.closeScript : p.clients[owner]?.closeScript);
            expect(o.value).toBe(owner < 0 ? close.lspAmount : balances[owner]);
          });
          expect(close.dustBalances).toEqual(
            tree.layout.order
              .filter((c) => (balances[c] as bigint) > 0n && (balances[c] as bigint) < 330n)
              .map((c) => ({ client: c, balance: balances[c] })),
          );
          const v = chainVsize(decodeTx(encodeTx(close.tx, [[new Uint8Array(64)]])));
          expect(v).toBe(close.vsize);
          expect(close.fee).toBe((BigInt(closeFeeRate) * BigInt(v) + 999n) / 1000n);
          expect(close.tx.outputs.reduce((a, o) => a + o.value, 0n) + close.fee).toBe(p.funding.amount);
          balances.forEach((b, c) => {
            checkCooperativeClose(tree, { client: c, balance: b, tx: close.tx });
            expect(cooperativeCloseSighash(tree, close.tx)).toEqual(close.sighash);
          });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("any change that leaves a client's own address short of its balance is refused by exactly that client", () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 330n, max: 100_000n }), { minLength: 7, maxLength: 7 }),
        fc.nat({ max: 6 }),
        fc.bigInt({ min: 1n, max: 329n }),
        fc.boolean(),
        (balances, victim, cut, redirect) => {
          const close = buildCooperativeClose(tree, { balances, tipHeight: 1000, closeFeeRate: 1000 });
          const own = tree.proposal.clients[victim]?.closeScript as Uint8Array;
          const i = close.tx.outputs.findIndex((o) => bytesEqual(o.script, own));
          const outputs = close.tx.outputs.map((o) => ({ ...o }));
          const lsp = outputs.length - 1;
          if (redirect) {
            // The victim's output goes to the LSP: some output ≥ its balance still exists (the C check passes).
            (outputs[lsp] as { value: bigint }).value += (outputs[i] as { value: bigint }).value;
            outputs.splice(i, 1);
          } else {
            (outputs[i] as { value: bigint }).value -= cut;
            (outputs[lsp] as { value: bigint }).value += cut;
          }
          const bad: Tx = { ...close.tx, outputs };
          for (let c = 0; c < 7; c++) {
            if (c !== victim) {
              expect(() =>
                checkCooperativeClose(tree, { client: c, balance: balances[c] as bigint, tx: bad }),
              ).not.toThrow();
              continue;
            }
            let err: unknown;
            try {
              checkCooperativeClose(tree, { client: c, balance: balances[c] as bigint, tx: bad });
            } catch (e) {
              err = e;
            }
            expect(err).toBeInstanceOf(CloseRejectedError);
            expect(err).toMatchObject({ client: victim, fault: redirect ? 'no-own-output' : 'underpaid' });
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('refuses malformed requests and an LSP output below dust', () => {
    const zero = Array.from({ length: 7 }, () => 0n);
    expect(() =>
      buildCooperativeClose(tree, { balances: zero.slice(1), tipHeight: 1, closeFeeRate: 1000 }),
    ).toThrow(InvalidArgumentError);
    expect(() =>
      buildCooperativeClose(tree, { balances: zero.map(() => -1n), tipHeight: 1, closeFeeRate: 1000 }),
    ).toThrow(/balances\[0\]/);
    expect(() =>
      buildCooperativeClose(tree, { balances: zero, tipHeight: 500_000_000, closeFeeRate: 1000 }),
    ).toThrow(/tipHeight/);
    const all = [tree.proposal.funding.amount, ...zero.slice(1)];
    expect(() => buildCooperativeClose(tree, { balances: all, tipHeight: 1, closeFeeRate: 1000 })).toThrow(
      SpendError,
    );
    expect(() =>
      checkCooperativeClose(tree, {
        client: 7,
        balance: 0n,
        tx: buildCooperativeClose(tree, { balances: zero, tipHeight: 1, closeFeeRate: 0 }).tx,
      }),
    ).toThrow(InvalidArgumentError);
  });
});
