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

describe('stored records', () => {
  it('a record of a newer format, or a missing wallet, is a DecodeError naming the key', async () => {
    const { account } = await import('./_harness.js');
    const { wallet, ops } = mod.Wallet.create({ account: account(0), birthHeight: 5 });
    const rows = ops.map(
      (o) => (o as { row: { key: string; version: number; data: Uint8Array; secret: boolean } }).row,
    );
    expect(mod.Wallet.load(rows, { account: account(0) }).tipHeight).toBe(wallet.tipHeight);
    expect(() => mod.Wallet.load([], { account: account(0) })).toThrow(mod.DecodeError);
    const newer = rows.map((r) => ({ ...r, version: 99 }));
    expect(() => mod.Wallet.load(newer, { account: account(0) })).toThrow(/newer than this release/);
    const damaged = rows.map((r) => ({ ...r, data: new Uint8Array([0xff]) }));
    expect(() => mod.Wallet.load(damaged, { account: account(0) })).toThrow(mod.DecodeError);
    // another account than the stored one is refused
    expect(() => mod.Wallet.load(rows, { account: account(1) })).toThrow(mod.InvalidArgumentError);
  });
});
