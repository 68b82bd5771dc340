// The wire error a call throws, for the tests' assertions on classes and codes.
import { WireError } from '../src/index.js';

/** The `WireError` `f` throws (anything else is rethrown; no throw fails the test). */
export function err(f: () => unknown): WireError {
  try {
    f();
  } catch (e) {
    if (WireError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected a WireError');
}

/** The code of the `WireError` `f` throws (anything else is rethrown), or `none` when it returns. */
export function codeOf(f: () => unknown, none: string): string {
  try {
    f();
  } catch (e) {
    if (WireError.isInstance(e)) return e.code;
    throw e;
  }
  return none;
}
