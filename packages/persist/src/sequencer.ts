/**
 * The one sequencer of a store (DESIGN §4): it numbers a role's updates. Libraries and machines return
 * operations; the runtime that owns the store hands them to {@link Sequencer.commit}, which assigns the
 * next id (strictly increasing from `lastUpdateId() + 1`) and resolves once the update is durable.
 *
 * **Order.** Ids are assigned in call order, synchronously, so operations committed one after the
 * other from one event-loop turn keep their order in the store; commits may overlap (the store groups
 * them and applies them in id order).
 *
 * **Fail-stop.** Any failed commit (a refused update, a backend error, a malformed operation) puts the
 * sequencer in a failed state: every later `commit` is refused with {@link SequencerFailedError}
 * without reaching the store, and commits already in flight after the failed one cannot be applied
 * (the store applies updates in id order only). What was acknowledged stays durable; the owner
 * restarts from the store.
 *
 * @module
 */
import { SequencerFailedError } from './errors.js';
import type { Store } from './store.js';
import type { Op, UpdateAck } from './update.js';

/** Numbers and commits a store's updates; one per store. Create with {@link Sequencer.open}. */
export class Sequencer {
  readonly #store: Store;
  #next: bigint;
  #failure: SequencerFailedError | undefined;
  #inFlight = new Set<Promise<unknown>>();
  readonly #onFail = new Set<(error: SequencerFailedError) => void>();
  readonly #onCommit = new Set<(ack: UpdateAck, ops: readonly Op[]) => void>();

  private constructor(store: Store, next: bigint) {
    this.#store = store;
    this.#next = next;
  }

  /** A sequencer continuing after the store's last update. Only one may exist per store. */
  static async open(store: Store): Promise<Sequencer> {
    return new Sequencer(store, (await store.lastUpdateId()) + 1n);
  }

  /** The store it commits to. */
  get store(): Store {
    return this.#store;
  }

  /** The id the next commit will get. */
  get nextId(): bigint {
    return this.#next;
  }

  /** The error that stopped the sequencer, or undefined while it works. */
  get failure(): SequencerFailedError | undefined {
    return this.#failure;
  }

  /** Commits in flight (submitted, not yet acknowledged or refused). */
  get pending(): number {
    return this.#inFlight.size;
  }

  /**
   * Commits `ops` as the next update and resolves with its ack once it is durable.
   *
   * @throws {SequencerFailedError} the sequencer failed before (nothing submitted); or this commit
   *   failed (its `cause` is the store's error), which fails the sequencer.
   */
  commit(ops: readonly Op[]): Promise<UpdateAck> {
    if (this.#failure !== undefined) return Promise.reject(new SequencerFailedError(this.#failure));
    const id = this.#next++;
    let p: Promise<UpdateAck>;
    try {
      p = this.#store.applyUpdate({ id, ops });
    } catch (e) {
      p = Promise.reject(e);
    }
    const tracked = p.then(
      (ack) => {
        for (const l of this.#onCommit) {
          try {
            l(ack, ops);
          } catch {
            // A listener's fault must not fail a durable commit.
          }
        }
        return ack;
      },
      (e: unknown) => {
        const error = this.#fail(id, e);
        throw error;
      },
    );
    const settle = tracked.then(
      () => undefined,
      () => undefined,
    );
    this.#inFlight.add(settle);
    void settle.then(() => this.#inFlight.delete(settle));
    return tracked;
  }

  /** Resolves once every commit submitted so far has been acknowledged or refused. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  /**
   * Calls `listener` once, when the sequencer fails (at once if it has failed already). Returns a
   * function that removes it.
   */
  onFail(listener: (error: SequencerFailedError) => void): () => void {
    if (this.#failure !== undefined) {
      listener(this.#failure);
      return () => undefined;
    }
    this.#onFail.add(listener);
    return () => this.#onFail.delete(listener);
  }

  /**
   * Calls `listener` after each acknowledged commit, with its ack and operations, before the
   * committer's promise resolves. Returns a function that removes it.
   */
  onCommit(listener: (ack: UpdateAck, ops: readonly Op[]) => void): () => void {
    this.#onCommit.add(listener);
    return () => this.#onCommit.delete(listener);
  }

  #fail(id: bigint, cause: unknown): SequencerFailedError {
    const own = new SequencerFailedError(cause, id);
    if (this.#failure === undefined) {
      this.#failure = own;
      const ls = [...this.#onFail];
      this.#onFail.clear();
      for (const l of ls) {
        try {
          l(own);
        } catch {
          // A listener's fault must not hide the failure from the committer.
        }
      }
    }
    return own;
  }
}
