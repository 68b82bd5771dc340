/**
 * The execution contract (roles memo §1): the actions of each `handle` call run in order, after
 * those of earlier calls; a `persist` is durable before any later action runs.
 *
 * Consecutive persists are pipelined (committed through the sequencer without waiting for each
 * other: the store groups them and applies them in id order); any other action waits until every
 * persist before it is durable. A `send` or `disconnect` is bound, when the machine emits it, to the
 * peer's connection of that moment: if that connection is gone when the action's turn comes, the
 * message is dropped — it never goes to a newer connection the machine has not been told about yet.
 * A failed persist stops everything after it (fail-stop).
 *
 * **Broadcasts**: a send that carries its message already encoded (`encoded`, by wire's
 * `preEncodeMessage`: the LSP's `factory_propose`, O(N) points, encoded once per factory) hands those
 * bytes to each link that has `sendEncoded`; so do the sends of one `handle` call that carry the same
 * message object (a close's `close_propose` to every client), encoded once at the first of them.
 * Either way every point is checked once, not once per peer. A send never waits for its peer (a link buffers what the peer has not read yet), and
 * after {@link YIELD_AFTER_MS} of work without a pause the executor yields to the event loop before
 * its next action, so a long run of sends never holds up the other connections' I/O.
 *
 * **Group commit.** Persists are handed to the sequencer in groups: every persist queued during one
 * turn of the event loop (the `handle` calls of all the messages that arrived while the store was
 * busy, say) goes to the sequencer together at the end of that turn, in queue order, each under its
 * own update id, so the store commits them as one transaction (one fsync on SQLite). Each non-persist
 * action still waits until every persist queued before it is durable, so the contract holds as
 * written; what changes is that a persist of a later `handle` call may be submitted — and become
 * durable — before the sends of an earlier call have run. No peer can tell: a send is handed to a
 * connection that may die with it, a broadcast to a node that may lose it, so a crash (or a failed
 * persist) that leaves a later call's state durable with an earlier call's send, broadcast or
 * disconnect not run is the same, to every other party, as one where those ran and their effect was
 * lost with the connection — a case the machines already recover from (reestablish, rebroadcast after
 * restart). Persists of an executor that failed before their group was handed over never reach the
 * store.
 *
 * @module
 */
import type { Sequencer } from '@superscalar/persist';
import { type EncodedMessage, type Message, preEncodeMessage } from '@superscalar/wire';
import type { Action } from '../io.js';
import type { PeerLink } from './types.js';

/** One encoding shared by the sends of one call that carry the same message (made at the first). */
type Shared = { encoded: EncodedMessage | undefined };

type Item =
  | {
      readonly kind: 'action';
      readonly action: Action;
      readonly link: PeerLink | undefined;
      readonly shared?: Shared;
      /** A persist's commit (its group's), settled when durable or refused. */
      readonly durable?: Promise<unknown>;
    }
  | { readonly kind: 'done'; readonly resolve: () => void; readonly reject: (e: unknown) => void };

/** Work without a pause, ms, after which the executor lets the event loop run before its next action. */
export const YIELD_AFTER_MS = 20;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => atEndOfTurn(resolve));

/** The message objects that several sends of `actions` carry, each with its (future) encoding. */
function sharedSends(actions: readonly Action[]): Map<Message, Shared> | undefined {
  const seen = new Set<Message>();
  let shared: Map<Message, Shared> | undefined;
  for (const a of actions) {
    if (a.kind !== 'send') continue;
    if (!seen.has(a.message)) seen.add(a.message);
    else if (shared === undefined) shared = new Map([[a.message, { encoded: undefined }]]);
    else if (!shared.has(a.message)) shared.set(a.message, { encoded: undefined });
  }
  return shared;
}

/** A persist waiting for the end of the event-loop turn to go to the sequencer with its group. */
type Grouped = {
  readonly ops: Extract<Action, { kind: 'persist' }>['ops'];
  readonly resolve: (ack: unknown) => void;
  readonly reject: (e: unknown) => void;
};

/** Runs `f` at the end of this event-loop turn (after the I/O callbacks ready in it). */
const atEndOfTurn = (f: () => void): void => {
  if (typeof globalThis.setImmediate === 'function') globalThis.setImmediate(f);
  else setTimeout(f, 0);
};

/** What the executor needs from its runtime. */
export interface ExecutorDeps {
  readonly sequencer: Sequencer;
  /** The peer's current connection. */
  linkOf(peer: string): PeerLink | undefined;
  /** Carries out a `disconnect` on the connection it was bound to. */
  disconnect(peer: string, link: PeerLink, reason: string): void;
  /** Starts a `broadcast` (not awaited; the runtime keeps broadcasts in order). */
  broadcast(action: Extract<Action, { kind: 'broadcast' }>): void;
  /** A persist failed or an action could not be carried out: stop the machine. */
  fail(cause: unknown): void;
  /** A send was dropped (the connection is gone). */
  dropped(action: Extract<Action, { kind: 'send' }>): void;
}

/** Runs actions under the execution contract. */
export class ActionExecutor {
  readonly #deps: ExecutorDeps;
  #queue: Item[] = [];
  #head = 0;
  #running = false;
  #durable: Promise<unknown>[] = [];
  #failed: unknown;
  #group: Grouped[] = [];
  #groupArmed = false;

  constructor(deps: ExecutorDeps) {
    this.#deps = deps;
  }

  /**
   * Queues one `handle` call's actions; resolves once they have run and their persists are durable,
   * rejects with the failure if the executor fails first.
   */
  enqueue(actions: readonly Action[]): Promise<void> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    const shared = sharedSends(actions);
    for (const action of actions) {
      if (action.kind === 'persist') {
        const durable = this.#commitInGroup(action.ops);
        durable.catch((e: unknown) => this.#deps.fail(e));
        this.#queue.push({ kind: 'action', action, link: undefined, durable });
        continue;
      }
      const link =
        action.kind === 'send' || action.kind === 'disconnect' ? this.#deps.linkOf(action.peer) : undefined;
      const one = action.kind === 'send' ? shared?.get(action.message) : undefined;
      this.#queue.push(
        one === undefined ? { kind: 'action', action, link } : { kind: 'action', action, link, shared: one },
      );
    }
    const done = new Promise<void>((resolve, reject) => this.#queue.push({ kind: 'done', resolve, reject }));
    void this.#drain();
    return done;
  }

  /** Resolves once everything queued so far has run (and is durable). */
  idle(): Promise<void> {
    return this.enqueue([]);
  }

  /** Fail-stop: drops what is queued; every pending and later `enqueue` rejects with `error`. */
  fail(error: unknown): void {
    if (this.#failed !== undefined) return;
    this.#failed = error;
    const rest = this.#queue.slice(this.#head);
    this.#queue = [];
    this.#head = 0;
    for (const item of rest) if (item.kind === 'done') item.reject(error);
  }

  async #drain(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    let since = performance.now();
    try {
      while (this.#failed === undefined && this.#head < this.#queue.length) {
        const item = this.#queue[this.#head] as Item;
        this.#queue[this.#head++] = undefined as never;
        if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
          this.#queue = this.#queue.slice(this.#head);
          this.#head = 0;
        }
        if (item.kind === 'done') {
          // Not a barrier: it settles when the persists before it are durable.
          Promise.all(this.#durable).then(item.resolve, (e: unknown) => item.reject(this.#failed ?? e));
          continue;
        }
        const a = item.action;
        if (a.kind === 'persist') {
          this.#durable.push(item.durable as Promise<unknown>);
          continue;
        }
        if (this.#durable.length > 0) {
          const before = this.#durable;
          this.#durable = [];
          try {
            await Promise.all(before);
          } catch {
            return; // the failure was reported by the persist's own handler
          }
          if (this.#failed !== undefined) return;
          since = performance.now();
        }
        this.#run(a, item.link, item.shared);
        if (performance.now() - since >= YIELD_AFTER_MS) {
          await yieldToEventLoop();
          since = performance.now();
        }
      }
    } finally {
      this.#running = false;
    }
  }

  /** Queues `ops` for this turn's group; settles when its update is durable or refused. */
  #commitInGroup(ops: Grouped['ops']): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#group.push({ ops, resolve, reject });
      if (this.#groupArmed) return;
      this.#groupArmed = true;
      atEndOfTurn(() => this.#flushGroup());
    });
  }

  /**
   * Hands the group to the sequencer in queue order, synchronously: ids in that order, and the store
   * takes the whole run into one transaction.
   */
  #flushGroup(): void {
    this.#groupArmed = false;
    const group = this.#group;
    this.#group = [];
    for (const g of group) {
      if (this.#failed !== undefined) {
        g.reject(this.#failed);
        continue;
      }
      this.#deps.sequencer.commit(g.ops).then(g.resolve, g.reject);
    }
  }

  #run(a: Exclude<Action, { kind: 'persist' }>, link: PeerLink | undefined, shared?: Shared): void {
    switch (a.kind) {
      case 'send': {
        let sent = false;
        try {
          if (link === undefined) sent = false;
          else if (link.sendEncoded === undefined) sent = link.send(a.message);
          else if (a.encoded !== undefined && a.encoded.message === a.message)
            sent = link.sendEncoded(a.encoded);
          else if (shared !== undefined) {
            shared.encoded ??= preEncodeMessage(a.message);
            sent = link.sendEncoded(shared.encoded);
          } else sent = link.send(a.message);
        } catch (e) {
          this.#deps.fail(e); // a message with no encoding: a bug in the machine
          return;
        }
        if (!sent) this.#deps.dropped(a);
        return;
      }
      case 'disconnect':
        if (link !== undefined) this.#deps.disconnect(a.peer, link, a.reason);
        return;
      case 'broadcast':
        this.#deps.broadcast(a);
        return;
    }
  }
}
