/**
 * `@superscalar/core/test`: checks other packages run in their own tests. Not for production code.
 */

import { SuperscalarError } from '../errors.js';

const KIND = Symbol.for('@superscalar/error-kind');

/**
 * Problems with the error classes a module exports (empty when none): every class extending
 * {@link SuperscalarError} must carry its own kind tag `'@superscalar/<pkg>:<ExportName>'`, so that
 * `Sub.isInstance` is exact. Use as `expect(errorClassProblems(mod, 'musig2')).toEqual([])`.
 */
export function errorClassProblems(mod: Record<string, unknown>, pkg: string): string[] {
  const problems: string[] = [];
  let classes = 0;
  for (const [name, value] of Object.entries(mod)) {
    if (typeof value !== 'function' || !(value.prototype instanceof SuperscalarError)) continue;
    classes++;
    const proto = value.prototype as unknown as Record<symbol, unknown>;
    if (!Object.hasOwn(proto, KIND)) {
      problems.push(`${name}: not tagged (tagError(${name}, '@superscalar/${pkg}:${name}'))`);
      continue;
    }
    const kind = proto[KIND];
    if (kind !== `@superscalar/${pkg}:${name}`) problems.push(`${name}: tagged '${String(kind)}'`);
  }
  if (classes === 0) problems.push(`no SuperscalarError subclasses exported for ${pkg}`);
  return problems;
}
