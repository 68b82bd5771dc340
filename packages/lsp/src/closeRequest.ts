/**
 * A client's request to close (roles memo §3 step 11): a `close_propose` with `attempt` 0 and no
 * outputs. The LSP decides whether and when to close; it answers with its own proposal (attempt ≥ 1).
 *
 * @module
 */
import type { Message } from '@superscalar/wire';

/** True when `message` is a client's close request (`close_propose`, attempt 0, no outputs). */
export function isCloseRequest(message: Message): boolean {
  return (
    typeof message === 'object' &&
    message !== null &&
    message.type === 'close_propose' &&
    message.attempt === 0 &&
    Array.isArray(message.outputs) &&
    message.outputs.length === 0
  );
}
