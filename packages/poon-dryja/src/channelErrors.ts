/**
 * The channel state machine's errors, subclasses of {@link PoonDryjaError}. Every one says what the
 * caller should do next, like LDK's `ChannelError`:
 *
 * - `ignore`: nothing happened (a local command the caller got wrong, a message for another channel);
 *   the channel is unchanged and keeps running.
 * - `disconnect`: the peer broke a rule in an *uncommitted* update; drop the connection. BOLT 2
 *   reconnection reverts every update no `commitment_signed` covers, on both sides, so the channel
 *   recovers without going on chain.
 * - `force-close`: the peer broke a rule in *committed* state (a signature, a revocation, a secret);
 *   broadcast the latest holder commitment ({@link Channel.forceCloseTransaction}) and stop. The channel
 *   refuses every further input.
 *
 * @module
 */
import { tagError } from '@superscalar/core';
import { type ChannelErrorCode, PoonDryjaError } from './errors.js';

/** What the caller should do after a rejected input. */
export type ChannelErrorAction = 'ignore' | 'disconnect' | 'force-close';

/** Who is at fault: the peer's message or the local caller's command. */
export type ChannelErrorOrigin = 'peer' | 'local';

/** Base class of the state machine's rejections: `action` says what to do, `origin` whose fault it is. */
export class ChannelError extends PoonDryjaError<ChannelErrorCode> {
  /** What to do: ignore, disconnect or force-close. */
  readonly action: ChannelErrorAction;
  /** Whose input was rejected. */
  readonly origin: ChannelErrorOrigin;
  constructor(
    code: ChannelErrorCode,
    action: ChannelErrorAction,
    origin: ChannelErrorOrigin,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, `${message} (${origin}; ${action})`, options);
    this.action = action;
    this.origin = origin;
  }
}
tagError(ChannelError, '@superscalar/poon-dryja:ChannelError');

/**
 * What kind of illegal step: an input the channel's phase does not allow (`phase`), an update or
 * signature before the revocation BOLT 2 requires (`awaiting-revocation`), an update after `stfu`
 * (`quiescent`), a fulfill or fail of an HTLC that is not irrevocably committed (`not-committed`), a
 * `commitment_signed` with nothing to sign (`nothing-to-sign`), a message that does not fit the
 * channel (`channel-id`, `malformed`).
 */
export type IllegalStep =
  | 'phase'
  | 'awaiting-revocation'
  | 'quiescent'
  | 'not-committed'
  | 'nothing-to-sign'
  | 'channel-id'
  | 'malformed'
  | 'reestablish';

/** An input the channel's current state does not allow. */
export class IllegalStepError extends ChannelError {
  /** Which rule. */
  readonly step: IllegalStep;
  constructor(step: IllegalStep, action: ChannelErrorAction, origin: ChannelErrorOrigin, message: string) {
    super('CHANNEL_ILLEGAL_STEP', action, origin, `${step}: ${message}`);
    this.step = step;
  }
}
tagError(IllegalStepError, '@superscalar/poon-dryja:IllegalStepError');

/** Which HTLC rule an add, fulfill or fail broke. */
export type HtlcRule =
  | 'amount'
  | 'capacity'
  | 'reserve'
  | 'max-accepted'
  | 'duplicate-id'
  | 'unknown-htlc'
  | 'wrong-preimage'
  | 'expiry-past'
  | 'expiry-deadline'
  | 'dying-period'
  | 'affordability'
  | 'dust-exposure';

/** An HTLC update refused by brief §7's rules. `limit` and `figure` give the numbers where there are any. */
export class HtlcRejectedError extends ChannelError {
  /** The rule broken. */
  readonly rule: HtlcRule;
  /** The HTLC id, when known. */
  readonly htlcId: bigint | undefined;
  /** The offending figure (msat, sats, blocks or a count). */
  readonly figure: bigint | number | undefined;
  /** The bound it broke. */
  readonly limit: bigint | number | undefined;
  constructor(
    rule: HtlcRule,
    action: ChannelErrorAction,
    origin: ChannelErrorOrigin,
    message: string,
    details: { htlcId?: bigint; figure?: bigint | number; limit?: bigint | number } = {},
  ) {
    super('CHANNEL_HTLC_REJECTED', action, origin, `${rule}: ${message}`);
    this.rule = rule;
    this.htlcId = details.htlcId;
    this.figure = details.figure;
    this.limit = details.limit;
  }
}
tagError(HtlcRejectedError, '@superscalar/poon-dryja:HtlcRejectedError');

/** Which rule an `update_fee` broke. */
export type FeeRule = 'not-funder' | 'fee-rate' | 'affordability' | 'dust-exposure';

/** An `update_fee` refused (client-sent, unaffordable, or over the dust exposure). */
export class FeeUpdateRejectedError extends ChannelError {
  /** The rule broken. */
  readonly rule: FeeRule;
  /** The proposed fee rate (sat/kvB). */
  readonly feeRate: number;
  constructor(
    rule: FeeRule,
    action: ChannelErrorAction,
    origin: ChannelErrorOrigin,
    feeRate: number,
    message: string,
  ) {
    super(
      'CHANNEL_FEE_UPDATE_REJECTED',
      action,
      origin,
      `${rule}: update_fee ${feeRate} sat/kvB: ${message}`,
    );
    this.rule = rule;
    this.feeRate = feeRate;
  }
}
tagError(FeeUpdateRejectedError, '@superscalar/poon-dryja:FeeUpdateRejectedError');

/** A `commitment_signed` (or rebinding) whose partial or aggregate signature does not verify. */
export class SignatureRejectedError extends ChannelError {
  /** `partial`: the peer's partial signature failed BIP327 PartialSigVerify; `aggregate`: the BIP340 check. */
  readonly which: 'partial' | 'aggregate' | 'nonce';
  /** The commitment number concerned. */
  readonly commitmentNumber: number;
  constructor(
    which: 'partial' | 'aggregate' | 'nonce',
    commitmentNumber: number,
    message: string,
    options?: { cause?: unknown; action?: ChannelErrorAction },
  ) {
    // A rebinding signature that fails aborts the advance only (brief §5.1): the caller passes `ignore`.
    super(
      'CHANNEL_SIGNATURE_REJECTED',
      options?.action ?? 'force-close',
      'peer',
      `${which}: commitment ${commitmentNumber}: ${message}`,
      options,
    );
    this.which = which;
    this.commitmentNumber = commitmentNumber;
  }
}
tagError(SignatureRejectedError, '@superscalar/poon-dryja:SignatureRejectedError');

/** A `revoke_and_ack` that cannot be accepted. */
export class RevocationRejectedError extends ChannelError {
  /** `unexpected`: no commitment awaits revocation; `wrong-point`: the secret is not the commitment's; `shachain`: inconsistent with the secrets received before. */
  readonly rule: 'unexpected' | 'wrong-point' | 'shachain';
  /** The commitment number the secret should revoke. */
  readonly commitmentNumber: number;
  constructor(
    rule: 'unexpected' | 'wrong-point' | 'shachain',
    commitmentNumber: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(
      'CHANNEL_REVOCATION_REJECTED',
      'force-close',
      'peer',
      `${rule}: commitment ${commitmentNumber}: ${message}`,
      options,
    );
    this.rule = rule;
    this.commitmentNumber = commitmentNumber;
  }
}
tagError(RevocationRejectedError, '@superscalar/poon-dryja:RevocationRejectedError');

/** Any input to a channel that has failed (after a `force-close` error) or closed. */
export class ChannelClosedError extends ChannelError {
  constructor(message: string) {
    super('CHANNEL_CLOSED', 'ignore', 'local', message);
  }
}
tagError(ChannelClosedError, '@superscalar/poon-dryja:ChannelClosedError');
