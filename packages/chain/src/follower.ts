/**
 * BlockFollower: the one component that follows a {@link ChainSource}'s best chain and tells
 * subscribers which blocks were connected and disconnected (DESIGN.md §4, "One block follower"). The
 * wallet, the roles and the watchtower subscribe to it; none of them polls the tip or detects reorgs.
 *
 * The design follows LDK's `lightning-block-sync` in spirit (a poller that diffs the tip it saw with
 * the new tip, walking back through the headers it stored to the common ancestor, and per-listener
 * start points on resume), adapted to `ChainSource`, which serves only the active chain: the follower
 * cannot ask the backend about a stale block, so it finds a fork point by walking back the
 * `(height, hash, prevHash)` headers it stored itself and comparing them with `blockHash(height)`.
 *
 * Sans-IO-friendly: nothing runs by itself. The runtime calls {@link BlockFollower.poll} on a timer or
 * on a notification (ZMQ, a `mine` in a test), or uses {@link BlockFollower.run} for an interval loop.
 * Browser-safe: no Node built-ins.
 *
 * **Order.** Each subscriber sees a sequence that, applied to its view, keeps the view a chain: first
 * `disconnected` events from its old tip down to (not including) the fork point, highest first, then
 * `connected` events from the fork point + 1 up to the tip, lowest first, each block's `prevHash` equal
 * to the hash of the block before it. Events are delivered one at a time; the next waits for the
 * handler's promise.
 *
 * **Reorg.** Any depth within the headers the follower has stored (`historyDepth`, default 2,016
 * blocks, plus the checkpoint a subscriber resumed from) is handled. A fork below that is
 * {@link ReorgBeyondHistory} for the subscriber concerned, with nothing delivered.
 *
 * **Delivery guarantee: at-least-once.** A subscriber that throws (or rejects) is not advanced past
 * the event; the poll records a {@link SubscriberFailed} and moves on with the other subscribers; the
 * next poll delivers the same event again (or, if the chain moved meanwhile, what leads from the
 * subscriber's cursor to the new tip). A subscriber persists its cursor — the `(height, hash)` of the
 * last block it accepted, best with a few ancestors ({@link Subscription.checkpoint}) — in the same
 * atomic update as the state the block changed, and resumes from it after a restart; it must then
 * tolerate an event it already applied (a `connected` block equal to its cursor, a `disconnected`
 * block above it).
 */
import { InvalidArgumentError, NotFound, ReorgBeyondHistory, SubscriberFailed } from './errors.js';
import type { ChainBlock, ChainSource, ChainTip } from './interfaces.js';

/** A block named by height and hash (display-order hex). */
export interface BlockRef {
  readonly height: number;
  readonly hash: string;
}

/** What a subscriber is told. */
export type ChainEvent =
  /**
   * `block` joined the subscriber's view: its `prevHash` is the hash of the view's previous tip.
   * `tip`: the backend's tip this poll is leading to (never below `block`): `block.height < tip.height`
   * means the block is replayed history (a restart, a catch-up), so a subscriber that broadcasts per
   * block can wait for the tip and act once from its state.
   */
  | { readonly type: 'connected'; readonly block: ChainBlock; readonly tip?: ChainTip }
  /**
   * `block` left the best chain and is removed from the top of the view. Only its height and hash
   * are given (the backend no longer serves it); the subscriber knows what it recorded from it.
   */
  | { readonly type: 'disconnected'; readonly block: BlockRef; readonly tip?: ChainTip };

/**
 * Handles one event. Resolving accepts it; throwing or rejecting refuses it (it comes again). The
 * `ChainBlock` object is shared by every subscriber: do not mutate it.
 */
export type ChainEventHandler = (event: ChainEvent) => void | Promise<void>;

/**
 * Where a subscriber starts:
 * - `'tip'`: at the best block of the first poll (no past blocks are delivered);
 * - `{ height }`: after the block at `height`, whatever its hash (`-1` replays from genesis, a birth
 *   height starts a rescan); nothing below is checked;
 * - `{ height, hash }`: after that block (a stored cursor): if it is no longer on the best chain it is
 *   first reported as disconnected;
 * - a checkpoint (an ascending, contiguous list of refs ending at the cursor, as
 *   {@link Subscription.checkpoint} returns): like `{ height, hash }`, and a reorg down to the oldest
 *   ref's parent is reported block by block.
 */
export type FollowFrom = 'tip' | { readonly height: number; readonly hash?: string } | readonly BlockRef[];

/** Options of {@link BlockFollower.subscribe}. */
export interface SubscribeOptions {
  /** Names the subscriber in errors (e.g. `wallet`, `tower`). */
  readonly name: string;
  /** Where to start; see {@link FollowFrom}. */
  readonly from: FollowFrom;
  /** Receives the events in order. */
  readonly onEvent: ChainEventHandler;
}

/** Where a subscriber stands. `hash` is undefined until the first block after a bare `{ height }`. */
export interface FollowerCursor {
  readonly height: number;
  readonly hash: string | undefined;
}

/** A subscriber's handle. */
export interface Subscription {
  readonly name: string;
  /** The last block the subscriber accepted (its position); undefined before a `'tip'` start resolves. */
  cursor(): FollowerCursor | undefined;
  /**
   * Up to `depth` (default 6) refs ending at the cursor, ascending and contiguous, from the headers
   * the follower stored: persist them with the subscriber's state and pass them as `from` to resume.
   */
  checkpoint(depth?: number): BlockRef[];
  /** Stops deliveries to this subscriber (after the event being delivered, if any). */
  unsubscribe(): void;
}

/** Options of {@link BlockFollower}. */
export interface BlockFollowerOptions {
  /** Headers kept below the tip to find fork points (default 2,016). */
  readonly historyDepth?: number;
  /** Blocks fetched per `blocksSince` call while catching up (default 100). */
  readonly batchSize?: number;
  /** Times one poll starts over when the chain moves under it (default 5). */
  readonly maxRestarts?: number;
  /** Blocks below the tip whose headers a `'tip'` start records, so a shallow reorg right after it can be followed (default 6). */
  readonly tipStartDepth?: number;
}

/** What one poll did. */
export interface PollReport {
  /** The backend's tip when the poll last started over. */
  readonly tip: ChainTip;
  /** `connected` events accepted, over all subscribers. */
  readonly connected: number;
  /** `disconnected` events accepted, over all subscribers. */
  readonly disconnected: number;
  /** Subscribers left behind in this poll, with why; they are retried on the next poll. */
  readonly failures: readonly (SubscriberFailed | ReorgBeyondHistory)[];
  /**
   * True when every subscriber that did not fail reached the tip read at the start of the last
   * attempt; false when the chain kept moving under `maxRestarts` attempts (poll again).
   */
  readonly settled: boolean;
}

/** Options of {@link BlockFollower.run}. */
export interface FollowerRunOptions {
  /** Time between polls, ms. */
  readonly intervalMs: number;
  /** Called after every poll. */
  readonly onReport?: (report: PollReport) => void;
  /** Called with what a poll threw (the backend unreachable…) and with each subscriber failure. */
  readonly onError?: (error: unknown) => void;
  /** Stops the loop. */
  readonly signal?: AbortSignal;
}

/** A running interval loop. */
export interface FollowerRunner {
  /** Polls now instead of at the end of the interval (e.g. on a new-block notification). */
  wake(): void;
  /** Stops the loop; resolves after the poll in flight, if any. */
  stop(): Promise<void>;
}

interface Header {
  readonly height: number;
  readonly hash: string;
  /** Undefined for the oldest ref of a checkpoint and for a bare height. */
  readonly prevHash: string | undefined;
}

interface Sub {
  readonly name: string;
  readonly onEvent: ChainEventHandler;
  /** Undefined until a `'tip'` start resolves. `hash` undefined: a bare height (trusted). */
  cursor: { height: number; hash: string | undefined; prevHash: string | undefined } | undefined;
  active: boolean;
}

/** The chain moved under a poll: start over from a fresh tip. */
const MOVED = Symbol('moved');

function int(v: number | undefined, d: number, name: string, min: number): number {
  if (v === undefined) return d;
  if (!Number.isInteger(v) || v < min)
    throw new InvalidArgumentError(`options.${name}`, `expected an integer ≥ ${min}`);
  return v;
}

function checkRef(r: unknown, name: string): BlockRef {
  const ref = r as Partial<BlockRef> | null;
  if (typeof ref !== 'object' || ref === null)
    throw new InvalidArgumentError(name, 'expected { height, hash }');
  if (!Number.isInteger(ref.height) || (ref.height as number) < 0)
    throw new InvalidArgumentError(`${name}.height`, 'expected a non-negative integer');
  if (typeof ref.hash !== 'string' || !/^[0-9a-f]{64}$/.test(ref.hash))
    throw new InvalidArgumentError(`${name}.hash`, 'expected 64 lowercase hex characters');
  return { height: ref.height as number, hash: ref.hash };
}

/** Follows a {@link ChainSource}'s best chain for any number of subscribers (see the module doc). */
export class BlockFollower {
  private readonly source: ChainSource;
  private readonly historyDepth: number;
  private readonly batchSize: number;
  private readonly maxRestarts: number;
  private readonly tipStartDepth: number;
  /** Headers the follower has seen or was given, by hash. */
  private readonly known = new Map<string, Header>();
  private readonly subs: Sub[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(source: ChainSource, options: BlockFollowerOptions = {}) {
    if (typeof source?.tip !== 'function' || typeof source.blocksSince !== 'function')
      throw new InvalidArgumentError('source', 'expected a ChainSource');
    this.source = source;
    this.historyDepth = int(options.historyDepth, 2016, 'historyDepth', 1);
    this.batchSize = int(options.batchSize, 100, 'batchSize', 1);
    this.maxRestarts = int(options.maxRestarts, 5, 'maxRestarts', 0);
    this.tipStartDepth = int(options.tipStartDepth, 6, 'tipStartDepth', 0);
  }

  /** Adds a subscriber; it takes part from the next poll on. */
  subscribe(options: SubscribeOptions): Subscription {
    if (typeof options !== 'object' || options === null)
      throw new InvalidArgumentError('options', 'expected { name, from, onEvent }');
    if (typeof options.name !== 'string' || options.name === '')
      throw new InvalidArgumentError('options.name', 'expected a non-empty string');
    if (typeof options.onEvent !== 'function')
      throw new InvalidArgumentError('options.onEvent', 'expected a function');
    const sub: Sub = { name: options.name, onEvent: options.onEvent, cursor: undefined, active: true };
    const from = options.from;
    if (from === 'tip') {
      // resolved by the next poll
    } else if (Array.isArray(from)) {
      const refs = (from as readonly unknown[]).map((r, i) => checkRef(r, `options.from[${i}]`));
      if (refs.length === 0) throw new InvalidArgumentError('options.from', 'expected at least one ref');
      let prev: Header | undefined;
      for (let i = 0; i < refs.length; i++) {
        const r = refs[i]!;
        if (prev !== undefined && r.height !== prev.height + 1)
          throw new InvalidArgumentError(
            `options.from[${i}].height`,
            'refs must be ascending and contiguous',
          );
        const h: Header = { height: r.height, hash: r.hash, prevHash: prev?.hash };
        if (!this.known.has(h.hash) || h.prevHash !== undefined) this.known.set(h.hash, h);
        prev = h;
      }
      sub.cursor = { ...prev! };
    } else if (typeof from === 'object' && from !== null) {
      const f = from as { height?: unknown; hash?: unknown };
      if (f.hash === undefined) {
        if (!Number.isInteger(f.height) || (f.height as number) < -1)
          throw new InvalidArgumentError('options.from.height', 'expected an integer ≥ -1');
        sub.cursor = { height: f.height as number, hash: undefined, prevHash: undefined };
      } else {
        const r = checkRef(f, 'options.from');
        const k = this.known.get(r.hash);
        sub.cursor = {
          height: r.height,
          hash: r.hash,
          prevHash: k?.height === r.height ? k.prevHash : undefined,
        };
        if (k === undefined) this.known.set(r.hash, { ...r, prevHash: undefined });
      }
    } else {
      throw new InvalidArgumentError('options.from', "expected 'tip', { height, hash? } or a checkpoint");
    }
    this.subs.push(sub);
    return {
      name: sub.name,
      cursor: () =>
        sub.cursor === undefined ? undefined : { height: sub.cursor.height, hash: sub.cursor.hash },
      checkpoint: (depth = 6) => this.checkpointOf(sub, depth),
      unsubscribe: () => {
        sub.active = false;
        const i = this.subs.indexOf(sub);
        if (i >= 0) this.subs.splice(i, 1);
      },
    };
  }

  private checkpointOf(sub: Sub, depth: number): BlockRef[] {
    if (!Number.isInteger(depth) || depth < 1)
      throw new InvalidArgumentError('depth', 'expected a positive integer');
    const c = sub.cursor;
    if (c === undefined || c.hash === undefined) return [];
    const out: BlockRef[] = [{ height: c.height, hash: c.hash }];
    let prevHash = c.prevHash;
    while (out.length < depth && prevHash !== undefined && out[0]!.height > 0) {
      out.unshift({ height: out[0]!.height - 1, hash: prevHash });
      prevHash = this.known.get(prevHash)?.prevHash;
    }
    return out;
  }

  /**
   * Brings every subscriber to the backend's best chain: disconnections first, then connections (see
   * the module doc). Calls are serialised: a call made while one runs starts after it. Throws what the
   * backend throws (e.g. `Unavailable`); what was delivered before stays delivered.
   */
  poll(): Promise<PollReport> {
    const run = this.queue.then(() => this.pollOnce());
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Polls every `intervalMs` until stopped (a convenience for runtimes without their own timer). */
  run(options: FollowerRunOptions): FollowerRunner {
    if (typeof options !== 'object' || options === null)
      throw new InvalidArgumentError('options', 'expected { intervalMs }');
    if (!Number.isInteger(options.intervalMs) || options.intervalMs < 1)
      throw new InvalidArgumentError('options.intervalMs', 'expected an integer ≥ 1');
    const intervalMs = options.intervalMs;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let wakeUp: (() => void) | undefined;
    const sleep = (): Promise<void> =>
      new Promise((resolve) => {
        wakeUp = resolve;
        timer = setTimeout(resolve, intervalMs);
      });
    const loop = (async () => {
      while (!stopped) {
        try {
          const report = await this.poll();
          for (const f of report.failures) options.onError?.(f);
          options.onReport?.(report);
        } catch (e) {
          options.onError?.(e);
        }
        if (stopped) break;
        await sleep();
        clearTimeout(timer);
        wakeUp = undefined;
      }
    })();
    const stop = async (): Promise<void> => {
      stopped = true;
      wakeUp?.();
      await loop;
    };
    options.signal?.addEventListener('abort', () => void stop(), { once: true });
    if (options.signal?.aborted === true) void stop();
    return { wake: () => wakeUp?.(), stop };
  }

  private async pollOnce(): Promise<PollReport> {
    const failures: (SubscriberFailed | ReorgBeyondHistory)[] = [];
    const failed = new Set<Sub>();
    const counts = { connected: 0, disconnected: 0 };
    let tip: ChainTip = await this.source.tip();
    for (let attempt = 0; ; attempt++) {
      const r = await this.attempt(tip, failures, failed, counts);
      if (r !== MOVED) {
        this.prune(tip.height);
        return { tip, ...counts, failures, settled: true };
      }
      if (attempt >= this.maxRestarts) return { tip, ...counts, failures, settled: false };
      tip = await this.source.tip();
    }
  }

  private live(failed: Set<Sub>): Sub[] {
    return this.subs.filter((s) => s.active && !failed.has(s));
  }

  private async deliver(
    s: Sub,
    event: ChainEvent,
    failures: (SubscriberFailed | ReorgBeyondHistory)[],
    failed: Set<Sub>,
  ): Promise<boolean> {
    try {
      await s.onEvent(event);
      return true;
    } catch (cause) {
      failures.push(
        new SubscriberFailed({
          subscriber: s.name,
          event: event.type,
          block: { height: event.block.height, hash: event.block.hash },
          cause,
        }),
      );
      failed.add(s);
      return false;
    }
  }

  private async attempt(
    tip: ChainTip,
    failures: (SubscriberFailed | ReorgBeyondHistory)[],
    failed: Set<Sub>,
    counts: { connected: number; disconnected: number },
  ): Promise<typeof MOVED | undefined> {
    // 'tip' starts take the current tip, with a few ancestors' headers.
    for (const s of this.live(failed)) {
      if (s.cursor !== undefined) continue;
      const depth = Math.min(this.tipStartDepth, tip.height);
      const blocks = await this.source.blocksSince(tip.height - depth - 1, depth + 1);
      let last: Header | undefined;
      for (const b of blocks) {
        if (last !== undefined && b.prevHash !== last.hash) return MOVED;
        last = { height: b.height, hash: b.hash, prevHash: b.prevHash };
        this.known.set(b.hash, last);
      }
      if (last === undefined) return MOVED;
      s.cursor = { ...last };
    }

    // Phase 1: rewind each subscriber whose cursor left the best chain.
    const hashAt = new Map<number, string | null>();
    const onChain = async (height: number, hash: string): Promise<boolean> => {
      if (!hashAt.has(height)) {
        try {
          hashAt.set(height, await this.source.blockHash(height));
        } catch (e) {
          if (!NotFound.isInstance(e)) throw e;
          hashAt.set(height, null); // above the tip: not on the best chain
        }
      }
      return hashAt.get(height) === hash;
    };
    for (const s of this.live(failed)) {
      const stale: Header[] = [];
      let cur: Header | undefined =
        s.cursor!.hash === undefined ? undefined : { ...s.cursor!, hash: s.cursor!.hash };
      while (cur !== undefined && !(await onChain(cur.height, cur.hash))) {
        stale.push(cur);
        if (cur.prevHash === undefined || cur.height === 0) break;
        cur = this.known.get(cur.prevHash) ?? {
          height: cur.height - 1,
          hash: cur.prevHash,
          prevHash: undefined,
        };
      }
      const lowest = stale[stale.length - 1];
      if (lowest !== undefined && (lowest.prevHash === undefined || lowest.height === 0)) {
        failures.push(new ReorgBeyondHistory(s.name, { height: lowest.height, hash: lowest.hash }));
        failed.add(s);
        continue;
      }
      for (const h of stale) {
        if (!s.active) break;
        if (
          !(await this.deliver(
            s,
            { type: 'disconnected', block: { height: h.height, hash: h.hash }, tip },
            failures,
            failed,
          ))
        )
          break;
        const parent = this.known.get(h.prevHash!);
        s.cursor = { height: h.height - 1, hash: h.prevHash, prevHash: parent?.prevHash };
        counts.disconnected++;
      }
    }

    // Phase 2: connect from the lowest cursor up to the tip, in lockstep.
    let subs = this.live(failed);
    if (subs.length === 0) return undefined;
    let from = Math.min(...subs.map((s) => s.cursor!.height));
    let prev: Header | undefined;
    while (from < tip.height) {
      const batch = await this.source.blocksSince(from, this.batchSize);
      if (batch.length === 0) return MOVED; // the chain shrank under us
      for (const b of batch) {
        if (b.height !== from + 1 || (prev !== undefined && b.prevHash !== prev.hash)) return MOVED;
        const header: Header = { height: b.height, hash: b.hash, prevHash: b.prevHash };
        this.known.set(b.hash, header);
        subs = this.live(failed);
        for (const s of subs) {
          const c = s.cursor!;
          if (c.height === b.height - 1) {
            if (c.hash !== undefined && c.hash !== b.prevHash) return MOVED;
            const at = b.height > tip.height ? { height: b.height, hash: b.hash } : tip;
            if (!(await this.deliver(s, { type: 'connected', block: b, tip: at }, failures, failed)))
              continue;
            s.cursor = { ...header };
            counts.connected++;
          } else if (c.height === b.height) {
            if (c.hash === undefined) s.cursor = { ...header };
            else if (c.hash !== b.hash) return MOVED;
          }
        }
        prev = header;
        from = b.height;
      }
    }
    return undefined;
  }

  /** Forgets headers more than `historyDepth` below the tip. */
  private prune(tipHeight: number): void {
    const floor = tipHeight - this.historyDepth;
    if (floor <= 0) return;
    for (const [hash, h] of this.known) if (h.height < floor) this.known.delete(hash);
  }
}
