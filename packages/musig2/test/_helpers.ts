// Shared helpers for this package's tests.
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { expect } from 'vitest';
import { InvalidContributionError, MuSig2Error, ValueError } from '../src/index.js';

export const hex = (h: string): Uint8Array => hexToBytes(h);
export const toHex = (b: Uint8Array): string => bytesToHex(b).toUpperCase();

/** A BIP327 vector error object. */
export type VectorError =
  | { type: 'invalid_contribution'; signer: number | null; contrib: string }
  | { type: 'value'; message: string };

/** Runs `f` and checks it throws the error a BIP327 vector expects (type, blamed signer, contribution). */
export function expectVectorError(f: () => unknown, expected: VectorError): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'expected an error').toBeDefined();
  expect(MuSig2Error.isInstance(thrown)).toBe(true);
  if (expected.type === 'invalid_contribution') {
    expect(thrown).toBeInstanceOf(InvalidContributionError);
    const err = thrown as InvalidContributionError;
    expect(err.signer).toBe(expected.signer);
    expect(err.contrib).toBe(expected.contrib);
  } else {
    expect(thrown).toBeInstanceOf(ValueError);
    expect((thrown as ValueError).message).toBe(expected.message);
  }
}

/** Picks `arr[i]` for each index, failing loudly on a bad index. */
export function pick<T>(arr: readonly T[], idx: readonly number[]): T[] {
  return idx.map((i) => {
    const v = arr[i];
    if (v === undefined) throw new Error(`vector index ${i} out of range`);
    return v;
  });
}
