/**
 * Test helpers for suites that must pass on every backend (`@superscalar/secp/test`).
 *
 * {@link backendsUnderTest} lists the backends a suite runs on and checks that the expected ones
 * loaded: under `CI=true` on a platform the native addon ships a binary for, a missing native backend
 * is a failure (an install that silently fell back to noble would otherwise compare noble with noble).
 */
import type { CurveBackend } from '../backend.js';
import { availableBackends, nativeBackendStatus, setCurveBackend } from '../select.js';

/** Platforms `secp256k1@5` ships a prebuilt addon for. */
const PREBUILT = new Set(['linux-x64', 'darwin-arm64', 'win32-x64']);

/**
 * True when this run must have the native backend: `CI=true`, Node on a prebuilt platform, and not
 * forced to noble with `SUPERSCALAR_SECP_BACKEND=noble`.
 */
export function nativeExpected(): boolean {
  const proc = (globalThis as { process?: NodeJS.Process }).process;
  if (proc?.versions?.node === undefined) return false;
  if (proc.env.SUPERSCALAR_SECP_BACKEND === 'noble') return false;
  if (proc.env.SUPERSCALAR_SECP_BACKEND === 'native') return true;
  return proc.env.CI === 'true' && PREBUILT.has(`${proc.platform}-${proc.arch}`);
}

/**
 * The backends to run a suite on (noble, and native where it loaded). Throws when the native backend
 * is expected ({@link nativeExpected}) but did not load, naming the load failure.
 */
export function backendsUnderTest(): CurveBackend[] {
  const status = nativeBackendStatus();
  if (nativeExpected() && !status.loaded)
    throw new Error(`the native secp256k1 backend was expected but did not load: ${String(status.error)}`);
  return availableBackends();
}

/** Runs `fn` with `backend` active, restoring the previous one afterwards. */
export function withBackend<T>(backend: CurveBackend, fn: () => T): T {
  const prev = setCurveBackend(backend);
  void prev;
  try {
    return fn();
  } finally {
    setCurveBackend('auto');
  }
}

export { forceBackend, runOnBackend } from './runOnBackend.js';
