/**
 * Typed errors of `@superscalar/musig2`. Every error this package throws is a {@link MuSig2Error} with a
 * stable string `code`; match on `code` or on the subclass, never on the message.
 *
 * BIP327 distinguishes two failure kinds, and so do we: {@link InvalidContributionError} blames one
 * participant (by its index in the caller's list) for an undecodable key, nonce or partial signature,
 * and {@link ValueError} reports a locally wrong value (a tweak ≥ n, a signer key missing from the key
 * list, a malformed secret nonce). Wrong argument types and lengths are {@link InvalidArgumentError}.
 */

import { SuperscalarError, tagError } from '@superscalar/core';

/** Stable codes of {@link MuSig2Error} subclasses. */
export type MuSig2ErrorCode =
  | 'MUSIG2_INVALID_ARGUMENT'
  | 'MUSIG2_INVALID_CONTRIBUTION'
  | 'MUSIG2_VALUE'
  | 'MUSIG2_NONCE_REUSE'
  | 'MUSIG2_SECRET_NONCE_NOT_SERIALISABLE'
  | 'MUSIG2_BATCH_FAULTS'
  | 'MUSIG2_INFINITE_NONCE';

/**
 * Base class of every error this package throws (a `SuperscalarError` of `@superscalar/core`).
 * `isInstance` is exact and works across duplicate copies of the package.
 */
export class MuSig2Error extends SuperscalarError<MuSig2ErrorCode> {}
tagError(MuSig2Error, '@superscalar/musig2:MuSig2Error');

/** An argument had the wrong type or length. `argument` names it (e.g. `pubkeys[3]`). */
export class InvalidArgumentError extends MuSig2Error {
  /** The argument's path, as in the function's signature (e.g. `pubkeys[3]`, `options.msg`). */
  readonly argument: string;

  constructor(argument: string, message: string) {
    super('MUSIG2_INVALID_ARGUMENT', `${argument}: ${message}`);
    this.argument = argument;
  }
}
tagError(InvalidArgumentError, '@superscalar/musig2:InvalidArgumentError');

/**
 * Which contribution was invalid: a participant's public key, public nonce or partial signature, the
 * aggregate nonce a session was built on, or (DeterministicSign) the other signers' aggregate nonce.
 */
export type Contribution = 'pubkey' | 'pubnonce' | 'aggnonce' | 'aggothernonce' | 'psig';

/**
 * A participant's contribution is invalid (BIP327 `InvalidContributionError`). `signer` is the index of
 * the faulty participant in the list the caller passed (never a KeySort position), or `null` when no
 * single participant can be blamed (an invalid `aggnonce`/`aggothernonce` came from the aggregator).
 *
 * What to do: abort the session, exclude or report `signer`, and restart with fresh nonces.
 */
export class InvalidContributionError extends MuSig2Error {
  /** Index of the faulty participant in the caller's list, or `null` if nobody can be blamed. */
  readonly signer: number | null;
  /** What the participant contributed that was invalid. */
  readonly contrib: Contribution;

  constructor(signer: number | null, contrib: Contribution, options?: { cause?: unknown }) {
    super(
      'MUSIG2_INVALID_CONTRIBUTION',
      signer === null
        ? `invalid ${contrib}: abort the session and restart it with fresh nonces`
        : `signer ${signer} contributed an invalid ${contrib}: abort the session and exclude or report that signer`,
      options,
    );
    this.signer = signer;
    this.contrib = contrib;
  }
}
tagError(InvalidContributionError, '@superscalar/musig2:InvalidContributionError');

/**
 * A value is invalid for a reason BIP327 reports as a `ValueError`: a tweak ≥ n, tweaking to infinity,
 * a signer key not in the key list, an out-of-range secret key or secret nonce. The message follows the
 * BIP327 reference implementation's wording.
 */
export class ValueError extends MuSig2Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MUSIG2_VALUE', message, options);
  }
}
tagError(ValueError, '@superscalar/musig2:ValueError');

/**
 * A {@link SecretNonce} was used a second time. Nothing was signed. Reusing a secret nonce for two
 * different messages reveals the secret key; the session must restart with a fresh nonce.
 */
export class NonceReuseError extends MuSig2Error {
  constructor() {
    super(
      'MUSIG2_NONCE_REUSE',
      'this secret nonce was already used (or its use was attempted): generate a fresh nonce and restart the session',
    );
  }
}
tagError(NonceReuseError, '@superscalar/musig2:NonceReuseError');

/** Someone tried to serialise a {@link SecretNonce} (e.g. `JSON.stringify`). Secret nonces never leave memory. */
export class SecretNonceNotSerialisableError extends MuSig2Error {
  constructor() {
    super(
      'MUSIG2_SECRET_NONCE_NOT_SERIALISABLE',
      'a SecretNonce cannot be serialised: keep it in memory; after a crash restart the session with fresh nonces',
    );
  }
}
tagError(SecretNonceNotSerialisableError, '@superscalar/musig2:SecretNonceNotSerialisableError');

/**
 * The signers' public nonces sum to infinity (`R'_1 + b⋅R'_2` is the point at infinity). BIP327 then
 * signs with the final nonce `R = G`, so every honest partial signature verifies and the aggregate
 * signature still cannot: the nonces were chosen to cancel, which an honest signer never does, and no
 * single signer can be blamed. What to do: abort the session and restart it with fresh nonces (and
 * treat a repetition by the same set of peers as an attack).
 */
export class InfiniteNonceError extends MuSig2Error {
  constructor() {
    super(
      'MUSIG2_INFINITE_NONCE',
      "the aggregate nonce R'_1 + b⋅R'_2 is infinity (BIP327 falls back to R = G, so the signature cannot verify): " +
        'some signer chose its nonce to cancel the others; abort the session and restart it with fresh nonces',
    );
  }
}
tagError(InfiniteNonceError, '@superscalar/musig2:InfiniteNonceError');
