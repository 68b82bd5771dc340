// The error pattern of issue 16: every exported class tagged with its own kind, codes prefixed TREE_
// and distinct, `isInstance` exact between siblings, and the blame fields kept.
import { SuperscalarError } from '@superscalar/core';
import { errorClassProblems } from '@superscalar/core/test';
import { describe, expect, it } from 'vitest';
import * as mod from '../src/index.js';

describe('errors', () => {
  it('every exported error class is tagged with its own kind', () => {
    expect(errorClassProblems(mod, 'factory-tree')).toEqual([]);
  });

  it('codes are prefixed TREE_ and distinct; isInstance is exact between siblings; fields are kept', () => {
    const errors = [
      new mod.InvalidArgumentError('clients[3].key', 'bad'),
      new mod.InvalidProposalError('leafArity', 3, 'must be 1 or 2', 2),
      new mod.InvalidAllocationError(1, 'allocations[1].capacities[0]', 10n, 'below dust'),
      new mod.SigningError(4, 2, 'partial signature invalid'),
      new mod.PathVerificationError(3, 'tx-mismatch', 'differs'),
      new mod.DecodeError('truncated', 7, 'short'),
      new mod.SpendError('below-dust', 'tx[3].outputs[0]', 'too small'),
      new mod.CloseRejectedError(0, 'underpaid', 'short'),
    ];
    for (const e of errors) {
      expect(e.code.startsWith('TREE_')).toBe(true);
      expect(mod.FactoryTreeError.isInstance(e)).toBe(true);
      expect(SuperscalarError.isInstance(e)).toBe(true);
    }
    expect(new Set(errors.map((e) => e.code)).size).toBe(errors.length);
    const [arg, prop, alloc, sig, path, dec, spend, close] = errors;
    expect(mod.DecodeError.isInstance(arg)).toBe(false);
    expect(mod.InvalidArgumentError.isInstance(dec)).toBe(false);
    expect(mod.SpendError.isInstance(close)).toBe(false);
    expect(mod.CloseRejectedError.isInstance(spend)).toBe(false);
    expect(mod.InvalidProposalError.isInstance(alloc)).toBe(false);
    expect((arg as mod.InvalidArgumentError).argument).toBe('clients[3].key');
    expect(prop).toMatchObject({ field: 'leafArity', figure: 3, limit: 2, name: 'InvalidProposalError' });
    expect(sig).toMatchObject({ tx: 4, signer: 2, code: 'TREE_SIGNING_FAILED' });
    expect(path).toMatchObject({ tx: 3, fault: 'tx-mismatch', label: 'tx 3' });
    expect(dec).toMatchObject({ reason: 'truncated', offset: 7, code: 'TREE_DECODE', name: 'DecodeError' });
  });

  it('no exported function lets a RangeError, TypeError or bare Error escape on missing arguments', () => {
    const skip = new Set<string>();
    const escaped: string[] = [];
    let probed = 0;
    for (const [name, f] of Object.entries(mod)) {
      if (typeof f !== 'function' || skip.has(name) || /^[A-Z]/.test(name)) continue;
      probed++;
      for (const args of [[], [undefined, undefined, undefined]]) {
        try {
          (f as (...a: unknown[]) => unknown)(...args);
        } catch (e) {
          if (!SuperscalarError.isInstance(e)) escaped.push(`${name}: ${String(e)}`);
        }
      }
    }
    expect(probed).toBeGreaterThan(50);
    expect(escaped).toEqual([]);
  });
});
