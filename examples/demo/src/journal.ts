// Every role's events in one place, in the order the demo drained them from the roles' persisted event
// queues (`waitForEvent` → handle → `eventHandled`), with waits on conditions over them.
import type { ClientEvent } from '@superscalar/client';
import type { LspEvent } from '@superscalar/lsp';

/** One event of one role: the LSP's, or a client's (`role`: `client 3`). */
export type JournalEntry = (
  | { readonly side: 'lsp'; readonly event: LspEvent }
  | { readonly side: 'client'; readonly event: ClientEvent }
) & {
  readonly role: string;
  /** ms since the demo started. */
  readonly at: number;
};

/** Kinds that mean the demo cannot end well: it stops with the event's text. */
const FATAL = new Set([
  'RegistrationRefused',
  'CeremonyAborted',
  'FactoryAbandoned',
  'ChannelFailed',
  'InvariantViolated',
  'CommandRefused',
  'CloseRefused',
  'CloseStalled',
  'PaymentFailed',
]);

export class Journal {
  readonly entries: JournalEntry[] = [];
  #failure: Error | undefined;
  #waiters = new Set<() => void>();
  readonly #listeners: ((e: JournalEntry) => void)[] = [];
  readonly #clock: () => number;

  constructor(clock: () => number) {
    this.#clock = clock;
  }

  /** Called for each entry as it arrives (after it is recorded). */
  onEntry(listener: (e: JournalEntry) => void): void {
    this.#listeners.push(listener);
  }

  push(role: string, event: LspEvent | ClientEvent): void {
    const entry = (
      role === 'lsp'
        ? { side: 'lsp', role, event, at: this.#clock() }
        : { side: 'client', role, event, at: this.#clock() }
    ) as JournalEntry;
    this.entries.push(entry);
    for (const l of this.#listeners) l(entry);
    if (FATAL.has(event.kind))
      this.fail(new Error(`${role}: ${event.kind} ${JSON.stringify(event, bigintJson)}`));
    this.#wake();
  }

  /** Stops every wait with `error` (the first failure wins). */
  fail(error: Error): void {
    this.#failure ??= error;
    this.#wake();
  }

  get failure(): Error | undefined {
    return this.#failure;
  }

  /** The LSP's events of `kind`. */
  lsp<K extends LspEvent['kind']>(kind: K): Extract<LspEvent, { kind: K }>[] {
    const out: Extract<LspEvent, { kind: K }>[] = [];
    for (const e of this.entries)
      if (e.side === 'lsp' && e.event.kind === kind) out.push(e.event as Extract<LspEvent, { kind: K }>);
    return out;
  }

  /** The clients' events of `kind`, with the client's role name. */
  clients<K extends ClientEvent['kind']>(
    kind: K,
  ): { role: string; event: Extract<ClientEvent, { kind: K }> }[] {
    const out: { role: string; event: Extract<ClientEvent, { kind: K }> }[] = [];
    for (const e of this.entries)
      if (e.side === 'client' && e.event.kind === kind)
        out.push({ role: e.role, event: e.event as Extract<ClientEvent, { kind: K }> });
    return out;
  }

  /**
   * Resolves with `find()`'s first defined answer, re-checked after each entry and every 5 ms (for
   * conditions outside the journal); fails on a failure or after `timeoutMs`.
   */
  until<T>(find: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): boolean => {
        if (this.#failure !== undefined) {
          reject(this.#failure);
          return true;
        }
        const v = find();
        if (v === undefined) return false;
        resolve(v);
        return true;
      };
      if (check()) return;
      const timer = setTimeout(() => {
        clearInterval(poll);
        this.#waiters.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const waiter = (): void => {
        if (!check()) return;
        clearTimeout(timer);
        clearInterval(poll);
        this.#waiters.delete(waiter);
      };
      const poll = setInterval(waiter, 5);
      this.#waiters.add(waiter);
    });
  }

  /** Re-checks every wait (after something outside the journal changed, e.g. a poll). */
  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }
}

/** JSON.stringify's replacer for bigints (as decimal strings) and bytes (as hex). */
export function bigintJson(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return v;
}
