/**
 * The ports every layer injects instead of reaching for globals (DESIGN §4): randomness, time and
 * logging. Libraries take them as options; tests pass deterministic ones, so any run can be replayed.
 */

/**
 * A source of `n` uniformly random bytes. Must be cryptographically secure outside tests; a library
 * that takes an `Rng` never calls it for anything that must stay deterministic.
 */
export type Rng = (n: number) => Uint8Array;

/** The platform's CSPRNG (`crypto.getRandomValues`, in Node ≥ 20 and every browser). */
export const cryptoRng: Rng = (n) => {
  const out = new Uint8Array(n);
  // getRandomValues fills at most 65,536 bytes per call.
  for (let i = 0; i < n; i += 65_536)
    globalThis.crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65_536)));
  return out;
};

/**
 * Wall-clock time. `now()` is milliseconds since the Unix epoch. Roles never read a clock: their
 * runtime reads one and passes `now` in. Order: `now()` is non-decreasing within one clock.
 */
export interface Clock {
  now(): number;
}

/** `Date.now()`, clamped so that it never goes backwards within this clock. */
export function systemClock(): Clock {
  let last = 0;
  return {
    now() {
      last = Math.max(last, Date.now());
      return last;
    },
  };
}

/** A clock tests move by hand. */
export interface ManualClock extends Clock {
  /** Moves the clock forward by `ms` (never backwards). */
  advance(ms: number): void;
  /** Sets the clock to `ms` if that is not earlier than now. */
  set(ms: number): void;
}

/** A {@link ManualClock} starting at `startMs`. */
export function manualClock(startMs = 0): ManualClock {
  let t = startMs;
  return {
    now: () => t,
    advance(ms) {
      if (!(ms >= 0)) throw new RangeError(`advance(${ms}): a clock never goes backwards`);
      t += ms;
    },
    set(ms) {
      if (ms > t) t = ms;
    },
  };
}

/** Severity of a {@link LogRecord}. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

const LEVEL_ORDER: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };

/** One structured log record. Secrets never go into `fields`. */
export interface LogRecord {
  readonly level: LogLevel;
  /** What happened, in a short sentence without interpolated values. */
  readonly msg: string;
  /** The component, e.g. `lsp/ceremony`, `wallet`, `noise-nk/listener`. */
  readonly module: string;
  /** Structured values (ids as hex strings, amounts as bigint). */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** An error that caused this record, if any. */
  readonly err?: unknown;
}

/** Receives structured log records. Must not throw and must not block. */
export interface Logger {
  log(record: LogRecord): void;
}

/** Discards everything. */
export const noopLogger: Logger = { log() {} };

/** True when `level` is at least `min`. */
export function levelAtLeast(level: LogLevel, min: LogLevel): boolean {
  return LEVEL_ORDER[level] >= LEVEL_ORDER[min];
}

/**
 * Writes records at `min` and above as one line each to `write` (default `console.error`), with
 * bigint and byte fields rendered as decimal and hex.
 */
export function consoleLogger(min: LogLevel = 'info', write: (line: string) => void = console.error): Logger {
  return {
    log(r) {
      if (!levelAtLeast(r.level, min)) return;
      let line = `${r.level.toUpperCase()} [${r.module}] ${r.msg}`;
      if (r.fields !== undefined) {
        line += ` ${JSON.stringify(r.fields, (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? bytesHex(v) : v))}`;
      }
      if (r.err !== undefined)
        line += ` err=${r.err instanceof Error ? `${r.err.name}: ${r.err.message}` : String(r.err)}`;
      write(line);
    },
  };
}

function bytesHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
