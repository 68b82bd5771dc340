// The default backend outside the `node` export condition (browsers, workers, bundles for them):
// @noble/curves, with no reference to the native module. Selected through the package's `#backend`
// import; see package.json `imports`.

import { nobleBackend } from './_noble.js';
import type { CurveBackend } from './backend.js';

/** No native backend outside Node. */
export const nativeBackend: CurveBackend | undefined = undefined;
/** Why there is no native backend here. */
export const nativeLoadError: unknown = new Error('not running under the node export condition');
/** @noble/curves. */
export const defaultBackend: CurveBackend = nobleBackend;
