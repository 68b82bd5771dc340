/**
 * The secret nonce as an object this library owns. BIP327 represents a secret nonce as 97 bytes
 * (`k1 || k2 || pk`) and warns that reusing it for two messages reveals the secret key; here it is a
 * {@link SecretNonce} whose scalars live in private fields: it cannot be read, serialised
 * (`toJSON` throws), structured-cloned (private fields are not copied) or used twice (the first use
 * marks it consumed and drops its scalars; a second use throws {@link NonceReuseError}).
 *
 * Secret nonces never touch disk. After a crash the session is aborted and restarted with fresh nonces;
 * the party that signs last uses `deterministicSign` and holds no secret nonce at all.
 */
import { InvalidArgumentError, NonceReuseError, SecretNonceNotSerialisableError } from './errors.js';
import type { Point } from './point.js';

/** What a signature needs from a secret nonce (internal). */
export interface NonceMaterial {
  readonly k1: bigint;
  readonly k2: bigint;
  /** The 33-byte individual public key the nonce was generated for. */
  readonly pk: Uint8Array;
  /** `k1⋅G`, `k2⋅G` when known (saves recomputing them for the signer's self-verification). */
  readonly R1: Point | undefined;
  readonly R2: Point | undefined;
}

const TOKEN = Symbol('SecretNonce');
let create: (m: NonceMaterial) => SecretNonce;
let take: (sn: SecretNonce) => NonceMaterial;
let owned: (x: unknown) => x is SecretNonce;

/**
 * A secret nonce from {@link nonceGen}, usable for exactly one partial signature. It holds no public
 * method that reveals its scalars; pass it to `sign` (or another package's signing function built on
 * this one). Keep it in memory only.
 */
export class SecretNonce {
  #k1: bigint;
  #k2: bigint;
  #pk: Uint8Array;
  #R1: Point | undefined;
  #R2: Point | undefined;
  #used = false;

  static {
    create = (m) => new SecretNonce(TOKEN, m);
    // A brand check on the private field: an object made with `Object.create(SecretNonce.prototype)`
    // (or by another copy of this class) passes `instanceof` but has no private fields.
    owned = (x): x is SecretNonce => typeof x === 'object' && x !== null && #used in x;
    take = (sn) => {
      if (sn.#used) throw new NonceReuseError();
      // Consume before anything can fail: a nonce whose use was attempted is never used again.
      sn.#used = true;
      const m: NonceMaterial = { k1: sn.#k1, k2: sn.#k2, pk: sn.#pk, R1: sn.#R1, R2: sn.#R2 };
      sn.#k1 = 0n;
      sn.#k2 = 0n;
      sn.#R1 = undefined;
      sn.#R2 = undefined;
      return m;
    };
  }

  private constructor(token: symbol, m: NonceMaterial) {
    if (token !== TOKEN)
      throw new InvalidArgumentError(
        'SecretNonce',
        'create secret nonces with nonceGen(), not new SecretNonce()',
      );
    this.#k1 = m.k1;
    this.#k2 = m.k2;
    this.#pk = Uint8Array.from(m.pk);
    this.#R1 = m.R1;
    this.#R2 = m.R2;
  }

  /** True once the nonce has been used (or a use was attempted); it can never sign again. */
  get used(): boolean {
    return ownedOrThrow(this).#used;
  }

  /** A copy of the 33-byte individual public key this nonce was generated for. */
  get publicKey(): Uint8Array {
    return Uint8Array.from(ownedOrThrow(this).#pk);
  }

  /** Always throws {@link SecretNonceNotSerialisableError}: a secret nonce is never serialised. */
  toJSON(): never {
    throw new SecretNonceNotSerialisableError();
  }

  /** A redacted description. */
  toString(): string {
    return owned(this) ? `SecretNonce { used: ${this.#used} }` : 'SecretNonce { forged }';
  }

  /** Node's `util.inspect` shows the redacted description only. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** True if `x` is a {@link SecretNonce} of this copy of the package. */
export function isSecretNonce(x: unknown): x is SecretNonce {
  return owned(x);
}

function ownedOrThrow(x: SecretNonce, name = 'this'): SecretNonce {
  if (!owned(x)) throw new InvalidArgumentError(name, 'expected a SecretNonce from nonceGen()');
  return x;
}

/** @internal Wraps nonce material in a new {@link SecretNonce}. Not exported from the package. */
export function createSecretNonce(m: NonceMaterial): SecretNonce {
  return create(m);
}

/**
 * @internal Consumes a {@link SecretNonce} and returns its material; throws {@link NonceReuseError} on
 * the second call. Not exported from the package.
 */
export function consumeSecretNonce(sn: SecretNonce, name = 'secnonce'): NonceMaterial {
  return take(ownedOrThrow(sn, name));
}
