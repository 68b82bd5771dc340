/**
 * A client's request to close (roles memo §3 step 11): a `close_propose` with `attempt` 0 and no
 * outputs.
 *
 * @module
 */
import { asserters } from '@superscalar/core';
import type { ClosePropose } from '@superscalar/wire';
import { InvalidArgumentError } from './errors.js';

const check = asserters((argument, message) => new InvalidArgumentError(argument, message));

/**
 * A client's request to close (roles memo §3 step 11): `close_propose` with attempt 0, no outputs and
 * the client's tip. The LSP decides; its answer is a proposal of attempt ≥ 1.
 */
export function closeRequest(factoryId: Uint8Array, tipHeight: number): ClosePropose {
  return {
    type: 'close_propose',
    factoryId: check.bytes(factoryId, 32, 'factoryId'),
    attempt: 0,
    tipHeight: check.int(tipHeight, 0, 499_999_999, 'tipHeight'),
    closeFeeRate: 0,
    outputs: [],
  };
}
