// The default backend under the `node` export condition (selected through the package's `#backend`
// import): libsecp256k1 from the `secp256k1@5` package's prebuilt N-API addon when it loads, else
// @noble/curves. Loads `secp256k1/bindings` (the addon alone), never the package entry, which falls
// back to elliptic.js silently. No compiler is needed: the package ships prebuilt binaries for
// linux-x64 (glibc and musl), darwin-arm64 and win32-x64, and pnpm does not run its install script.
//
// `SUPERSCALAR_SECP_BACKEND=noble` skips the native module; `=native` makes its absence an error at the
// first use of `setCurveBackend('native')` (the variable never throws at import).
import { createRequire } from 'node:module';
import { createNativeBackend, type Secp256k1Addon } from './_native.js';
import { nobleBackend } from './_noble.js';
import type { CurveBackend } from './backend.js';

let native: CurveBackend | undefined;
let loadError: unknown;

if (process.env.SUPERSCALAR_SECP_BACKEND === 'noble') {
  loadError = new Error('SUPERSCALAR_SECP_BACKEND=noble: the native module was not loaded');
} else {
  try {
    const require = createRequire(import.meta.url);
    const addon = require('secp256k1/bindings') as Secp256k1Addon;
    const seed = globalThis.crypto.getRandomValues(new Uint8Array(32));
    native = createNativeBackend(addon, seed);
  } catch (err) {
    loadError = err;
  }
}

/** The native backend, or `undefined` when it did not load (see {@link nativeLoadError}). */
export const nativeBackend: CurveBackend | undefined = native;
/** Why the native backend did not load, or `undefined`. */
export const nativeLoadError: unknown = loadError;
/** The backend in use until `setCurveBackend` says otherwise. */
export const defaultBackend: CurveBackend = native ?? nobleBackend;
