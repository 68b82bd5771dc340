/**
 * Admission control for listeners (brief §10 "Operational defaults"): at most
 * `perIpPerMinute` (default 10) admitted connections per source address in any rolling 60 s, and
 * at most `maxConcurrentHandshakes` (default 4) handshakes in progress. Sans-IO: the caller passes
 * the time. Used by `listen` (`@superscalar/noise-nk/node`); usable with any server (e.g. a `ws`
 * server's upgrade handler).
 */
import { check } from './_assert.js';

/** Options of {@link ConnectionLimiter}. */
export interface ConnectionLimiterOptions {
  /** Connections admitted per source address per window (default 10). */
  readonly perIpPerMinute?: number | undefined;
  /** Handshakes in progress at once (default 4). */
  readonly maxConcurrentHandshakes?: number | undefined;
  /** The rate window in milliseconds (default 60,000). */
  readonly windowMs?: number | undefined;
}

/** The outcome of {@link ConnectionLimiter.admit}. */
export type Admission =
  | {
      readonly ok: true /** Call exactly once when the handshake ends (success or failure). */;
      release(): void;
    }
  | { readonly ok: false; readonly limit: 'per_ip_rate' | 'concurrent_handshakes' };

/** Per-IP rate limit and concurrent-handshake cap. */
export class ConnectionLimiter {
  readonly #perIp: number;
  readonly #maxHs: number;
  readonly #window: number;
  readonly #seen = new Map<string, number[]>();
  #active = 0;
  #admits = 0;

  constructor(options: ConnectionLimiterOptions = {}) {
    this.#perIp = positive(options.perIpPerMinute ?? 10, 'perIpPerMinute');
    this.#maxHs = positive(options.maxConcurrentHandshakes ?? 4, 'maxConcurrentHandshakes');
    this.#window = positive(options.windowMs ?? 60_000, 'windowMs');
  }

  /** Handshakes currently admitted and not yet released. */
  get activeHandshakes(): number {
    return this.#active;
  }

  /**
   * Decides on a new connection from `ip` at time `now` (ms). Refused connections are not counted
   * against the address's rate (so a refused burst does not extend its lockout).
   */
  admit(ip: string, now: number): Admission {
    if (++this.#admits % 256 === 0) this.#sweep(now);
    const since = now - this.#window;
    const times = (this.#seen.get(ip) ?? []).filter((t) => t > since);
    if (times.length >= this.#perIp) {
      this.#seen.set(ip, times);
      return { ok: false, limit: 'per_ip_rate' };
    }
    if (this.#active >= this.#maxHs) {
      if (times.length === 0) this.#seen.delete(ip);
      return { ok: false, limit: 'concurrent_handshakes' };
    }
    times.push(now);
    this.#seen.set(ip, times);
    this.#active++;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.#active--;
      },
    };
  }

  #sweep(now: number): void {
    const since = now - this.#window;
    for (const [ip, times] of this.#seen) if (times.every((t) => t <= since)) this.#seen.delete(ip);
  }
}

function positive(v: unknown, name: string): number {
  return check.int(v, 1, Number.MAX_SAFE_INTEGER, `options.${name}`);
}
