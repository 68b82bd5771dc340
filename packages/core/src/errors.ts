/**
 * The one error pattern of `@superscalar/*`.
 *
 * Every error a package throws is a subclass of {@link SuperscalarError} with a stable `code`
 * prefixed by its package (`MUSIG2_NONCE_REUSE`, `CHAIN_TX_REJECTED`), so a role can map any fault to
 * a consequence (ignore, disconnect, close) from `code` alone, without reading messages.
 *
 * `isInstance` works across duplicated copies of a package (two versions in one `node_modules`),
 * where `instanceof` does not: every class is tagged with a kind string (`@superscalar/musig2:NonceReuseError`)
 * registered under a `Symbol.for` key, and `Sub.isInstance(x)` walks `x`'s prototype chain for `Sub`'s
 * own tag. It is exact: a sibling class never matches, a subclass matches its ancestors.
 */

const BRAND = Symbol.for('@superscalar/error');
const KIND = Symbol.for('@superscalar/error-kind');

type Tagged = Record<symbol, unknown>;

function ownKind(proto: object): string | undefined {
  return Object.hasOwn(proto, KIND) ? ((proto as Tagged)[KIND] as string) : undefined;
}

/** Base of every error of every `@superscalar/*` package. Match on `code` or `isInstance`. */
export class SuperscalarError<C extends string = string> extends Error {
  /** Stable, machine-readable code, prefixed by the package (`WIRE_DECODE`). */
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    // Kind tags survive minification, unlike constructor names.
    const kind = kindOf(new.target.prototype);
    this.name = kind === undefined ? new.target.name : kind.slice(kind.lastIndexOf(':') + 1);
  }

  /**
   * True when `x` is an instance of this class (or a subclass of it) from any copy of its package.
   * On {@link SuperscalarError} itself: true for any error of any `@superscalar/*` package.
   */
  static isInstance<T extends abstract new (...args: never[]) => SuperscalarError>(
    this: T,
    x: unknown,
  ): x is InstanceType<T> {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass isInstance was called on.
    const cls = this as unknown as { prototype: object; name: string };
    if (typeof (cls as unknown) !== 'function') {
      throw new TypeError('isInstance was called detached from its class: write (x) => Cls.isInstance(x)');
    }
    if (typeof x !== 'object' || x === null || (x as Tagged)[BRAND] !== true) return false;
    const want = ownKind(cls.prototype);
    if (want === undefined) {
      if ((cls as unknown) === SuperscalarError) return true;
      throw new TypeError(
        `${cls.name} is not tagged: call tagError(${cls.name}, '@superscalar/<pkg>:<Name>')`,
      );
    }
    for (let p: object | null = x; p !== null; p = Object.getPrototypeOf(p)) {
      if (ownKind(p) === want) return true;
    }
    return false;
  }
}
Object.defineProperty(SuperscalarError.prototype, BRAND, { value: true });

/**
 * Tags an error class with its kind, `'@superscalar/<package>:<ClassName>'`. Call once per class,
 * right after its declaration; `isInstance` on an untagged class throws (a programming error).
 */
export function tagError(cls: abstract new (...args: never[]) => SuperscalarError, kind: string): void {
  if (!/^@superscalar\/[a-z0-9-]+:[A-Za-z0-9]+$/.test(kind)) {
    throw new TypeError(`error kind must look like '@superscalar/pkg:Name', got '${kind}'`);
  }
  if (Object.hasOwn(cls.prototype, KIND)) throw new TypeError(`${kind}: class already tagged`);
  Object.defineProperty(cls.prototype, KIND, { value: kind });
}

/** The kind tag of an error class's prototype or of an error, or `undefined` when untagged. */
export function kindOf(x: unknown): string | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  for (let p: object | null = x; p !== null; p = Object.getPrototypeOf(p)) {
    const k = ownKind(p);
    if (k !== undefined) return k;
  }
  return undefined;
}

/** Stable codes of `@superscalar/core`'s own errors. */
export type CoreErrorCode = 'CORE_INVALID_ARGUMENT';

/**
 * An argument had the wrong type, length or range. `argument` names its path as in the function's
 * signature (`clients[3].key`). Every package has a class of this name; this one is core's own.
 */
export class InvalidArgumentError extends SuperscalarError<CoreErrorCode> {
  /** The argument's path, e.g. `options.rng`, `hex`. */
  readonly argument: string;

  constructor(argument: string, message: string, options?: { cause?: unknown }) {
    super('CORE_INVALID_ARGUMENT', `${argument}: ${message}`, options);
    this.argument = argument;
  }
}
tagError(InvalidArgumentError, '@superscalar/core:InvalidArgumentError');
