// Vitest helpers for suites that rerun on each backend: vitest is an optional peer of this subpath.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { curve, nativeBackendStatus, setCurveBackend } from '../select.js';
import { backendsUnderTest, nativeExpected } from './index.js';

type Choice = 'auto' | 'noble' | 'native';
let forced: Choice | undefined;
let registered = false;

/**
 * Makes every later {@link runOnBackend} in this test file use `choice`. A file that reruns other
 * suites on noble calls `forceBackend('noble')`, then imports them.
 */
export function forceBackend(choice: Choice): void {
  forced = choice;
}

/**
 * Runs this test file's tests on `choice` (or the forced backend) and adds a test asserting that it
 * is the one running; under `CI=true`, a native backend that did not load fails the suite
 * ({@link backendsUnderTest}). Registers once per file.
 */
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
