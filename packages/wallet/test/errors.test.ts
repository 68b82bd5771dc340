import { errorClassProblems } from '@superscalar/core/test';
import { describe, expect, it } from 'vitest';
import * as mod from '../src/index.js';

describe('errors', () => {
  it('every error class is tagged, prefixed WALLET_, and exact under isInstance', () => {
    expect(errorClassProblems(mod, 'wallet')).toEqual([]);
  });
  it('a sibling never matches, the base matches its subclasses', () => {
    const e = new mod.InsufficientFundsError(10n, 5n);
    expect(mod.WalletError.isInstance(e)).toBe(true);
    expect(mod.FeeRateTooLowError.isInstance(e)).toBe(false);
    expect(e.code).toBe('WALLET_INSUFFICIENT_FUNDS');
  });
});
