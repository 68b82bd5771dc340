/**
 * @internal The client's structural checks of a proposed cooperative close (brief §6): the envelope of
 * `close_propose` and §6's construction rebuilt from the outputs it states.
 *
 * @module
 */
import { equalBytes, toHex } from '@superscalar/core';
import { buildCooperativeClose, type CooperativeClose, type FactoryOutline } from '@superscalar/factory-tree';
import type { ClosePropose } from '@superscalar/wire';
import {
  CloseRefusedError,
  InvalidArgumentError,
  type StaleFault,
  StaleMessageError,
  type UnexpectedFault,
  UnexpectedMessageError,
} from './errors.js';

// The machine's faults, raised by the close session for the LSP `peer` about factory `factoryId` (hex):
// stale messages are ignored, unexpected ones answered with `error` and a disconnection.
export class CloseFaults {
  readonly peer: string;
  readonly factoryId: string;
  constructor(peer: string, factoryId: string) {
    this.peer = peer;
    this.factoryId = factoryId;
  }

  stale(fault: StaleFault, message: string): StaleMessageError {
    return new StaleMessageError(this.peer, message, { factoryId: this.factoryId, fault });
  }

  unexpected(fault: UnexpectedFault, message: string, cause?: unknown): UnexpectedMessageError {
    return new UnexpectedMessageError(this.peer, message, {
      factoryId: this.factoryId,
      consequence: 'disconnect',
      fault,
      ...(cause === undefined ? {} : { cause }),
    });
  }
}

// The envelope of a close_propose: this factory, a proposal (attempt ≥ 1), well-typed fields.
export function checkPropose(message: ClosePropose, factoryId: Uint8Array, faults: CloseFaults): number {
  if (typeof message !== 'object' || message === null || message.type !== 'close_propose')
    throw new InvalidArgumentError('options.message', 'expected a close_propose message');
  if (!(message.factoryId instanceof Uint8Array) || !equalBytes(message.factoryId, factoryId))
    throw faults.unexpected('wrong-factory', 'close_propose names another factory');
  const { attempt, tipHeight, closeFeeRate, outputs } = message;
  if (attempt === 0)
    throw faults.unexpected('malformed', 'close_propose of attempt 0 is a close request, not a proposal');
  const int = (v: unknown, max: number) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= max;
  if (!int(attempt, 0xffff) || !int(tipHeight, 499_999_999) || !int(closeFeeRate, 0xffffffff))
    throw faults.unexpected('malformed', 'close_propose: attempt, tipHeight or closeFeeRate out of range');
  if (
    !Array.isArray(outputs) ||
    outputs.length === 0 ||
    outputs.some((o) => !(o?.script instanceof Uint8Array) || typeof o.amount !== 'bigint' || o.amount < 0n)
  )
    throw faults.unexpected('malformed', 'close_propose: outputs must be { script, amount } entries');
  return attempt;
}

// Brief §6's close from the balances the message's outputs state: every output but the last pays a
// distinct client's close address, the last the LSP's; rebuilt, it must be the same transaction.
export function rebuild(tree: FactoryOutline, message: ClosePropose, attempt: number): CooperativeClose {
  const p = tree.proposal;
  const refuse = (why: string, cause?: unknown) =>
    new CloseRefusedError('wrong-outputs', attempt, why, cause === undefined ? undefined : { cause });
  const owner = new Map<string, number>();
  p.clients.forEach((c, i) => {
    if (!owner.has(toHex(c.closeScript))) owner.set(toHex(c.closeScript), i);
  });
  const balances: bigint[] = p.clients.map(() => 0n);
  const seen = new Set<number>();
  const outs = message.outputs;
  outs.slice(0, -1).forEach((o, k) => {
    const i = owner.get(toHex(o.script));
    if (i === undefined || seen.has(i))
      throw refuse(`outputs[${k}] pays no client's close address, or one twice`);
    seen.add(i);
    balances[i] = o.amount;
  });
  const last = outs[outs.length - 1] as ClosePropose['outputs'][number];
  if (!equalBytes(last.script, p.lsp.closeScript))
    throw refuse("the last output does not pay the LSP's close address");
  let close: CooperativeClose;
  try {
    close = buildCooperativeClose(tree, {
      balances,
      tipHeight: message.tipHeight,
      closeFeeRate: message.closeFeeRate,
    });
  } catch (e) {
    throw refuse(`the outputs do not make a close: ${(e as Error).message}`, e);
  }
  const built = close.tx.outputs;
  if (built.length !== outs.length)
    throw refuse(
      `${outs.length} outputs where §6 gives ${built.length} (an output below dust, or out of order)`,
    );
  built.forEach((o, k) => {
    const got = outs[k] as ClosePropose['outputs'][number];
    if (!equalBytes(o.script, got.script) || o.value !== got.amount)
      throw refuse(
        `outputs[${k}] is ${got.amount} sats where §6 gives ${o.value} (order, fee or the LSP's rest)`,
      );
  });
  return close;
}

export function bytesField(v: unknown, length: number, name: string, faults: CloseFaults): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length !== length)
    throw faults.unexpected('malformed', `${name}: expected ${length} bytes`);
  return Uint8Array.from(v);
}
