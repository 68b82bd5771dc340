// Runs the current test file on one curve backend and asserts that it really is the one running.
// The vector suites call `runOnBackend('auto')` (the Node default:
// libsecp256k1 where it loads); noble-backend.test.ts calls `forceBackend('noble')` and then imports
// the same suites, so they run again on @noble/curves. Under CI=true a native backend that did not
// load fails the suite (see @superscalar/secp/test).
import { curve, nativeBackendStatus, setCurveBackend } from '@superscalar/secp';
import { backendsUnderTest, nativeExpected } from '@superscalar/secp/test';
import { afterAll, beforeAll, expect, it } from 'vitest';

type Choice = 'auto' | 'noble' | 'native';
let forced: Choice | undefined;
let registered = false;

/** Makes every later {@link runOnBackend} in this file use `choice` (call before importing suites). */
export function forceBackend(choice: Choice): void {
  forced = choice;
}

/** Runs this file's tests on `choice` (or the forced backend) and asserts that it is the one running. */
export function runOnBackend(choice: Choice): void {
  if (registered) return;
  registered = true;
  backendsUnderTest(); // throws when the native backend is expected and missing
  const use = forced ?? choice;
  const want = use === 'auto' ? (nativeBackendStatus().loaded ? 'native' : 'noble') : use;
  beforeAll(() => {
    setCurveBackend(use);
  });
  afterAll(() => {
    setCurveBackend('auto');
  });
  it(`runs on the ${want} curve backend`, () => {
    expect(curve().id).toBe(want);
    if (nativeExpected() && use !== 'noble') expect(curve().id).toBe('native');
  });
}
