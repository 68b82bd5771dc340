/**
 * Which backend runs: chosen once at import by export condition (the native one under `node` when it
 * loads, @noble/curves otherwise), changeable at any time with {@link setCurveBackend}. The choice is
 * process-wide: every `@superscalar/*` package that does curve work asks {@link curve} per operation.
 */
import { defaultBackend, nativeBackend, nativeLoadError } from '#backend';
import { nobleBackend } from './_noble.js';
import type { CurveBackend } from './backend.js';
import { BackendUnavailableError, InvalidArgumentError } from './errors.js';

let active: CurveBackend = defaultBackend;

/** The backend in use. */
export function curve(): CurveBackend {
  return active;
}

/** What {@link setCurveBackend} accepts: a backend id, `'auto'` (the import-time default) or a backend. */
export type BackendChoice = 'auto' | 'noble' | 'native' | CurveBackend;

/**
 * Selects the backend every later operation uses and returns it. `'auto'` restores the import-time
 * choice; `'native'` throws {@link BackendUnavailableError} (with the load failure as `cause`) where the
 * native module did not load, or outside Node.
 */
export function setCurveBackend(choice: BackendChoice): CurveBackend {
  if (choice === 'auto') active = defaultBackend;
  else if (choice === 'noble') active = nobleBackend;
  else if (choice === 'native') {
    if (nativeBackend === undefined)
      throw new BackendUnavailableError('the native secp256k1 backend did not load', {
        cause: nativeLoadError,
      });
    active = nativeBackend;
  } else if (isBackend(choice)) active = choice;
  else throw new InvalidArgumentError('choice', "expected 'auto', 'noble', 'native' or a CurveBackend");
  return active;
}

/** Every backend that loaded in this process: noble always, native where it loaded. */
export function availableBackends(): CurveBackend[] {
  return nativeBackend === undefined ? [nobleBackend] : [nobleBackend, nativeBackend];
}

/**
 * Whether the native backend loaded, and if not, why (`error`: the load failure, or the reason it was
 * not attempted: outside Node, or `SUPERSCALAR_SECP_BACKEND=noble`).
 */
export function nativeBackendStatus(): { loaded: boolean; error?: unknown } {
  return nativeBackend === undefined ? { loaded: false, error: nativeLoadError } : { loaded: true };
}

const METHODS = ['mulG', 'mulSecret', 'mul', 'mulAddG', 'add', 'msm', 'sum', 'decompress'] as const;

function isBackend(x: unknown): x is CurveBackend {
  if (typeof x !== 'object' || x === null) return false;
  const b = x as Record<string, unknown>;
  return typeof b.id === 'string' && METHODS.every((m) => typeof b[m] === 'function');
}
