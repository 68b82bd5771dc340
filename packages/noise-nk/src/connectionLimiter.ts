/**
 * Admission control for listeners (brief §10 "Operational defaults", v2): at most `perIpPerMinute`
 * (default 10) admitted connections per source address in any rolling 60 s, at most
 * `maxHandshakesPerIp` (default 2) handshakes in progress per source address, and at most
 * `maxConcurrentHandshakes` (default 64) in all. Sans-IO: the caller passes the time. Used by
 * {@link Acceptor} and `listen` (`@superscalar/noise-nk/node`); usable with any server.
 *
 * Why a per-address cap: with only a small global cap (v1 of the brief: 4) a few addresses, each
 * under its rate limit, can hold every slot with idle connections and lock every honest client out.
 * With 2 per address, filling 64 slots takes 32 addresses holding connections continuously, which
 * the rate limit and the act-one deadline (2 s, see `accept`) make cost far more.
 */
import { check } from './_assert.js';

/** Default connections admitted per source address per minute. */
export const DEFAULT_PER_IP_PER_MINUTE = 10;
/** Default cap on handshakes in progress per source address. */
export const DEFAULT_MAX_HANDSHAKES_PER_IP = 2;
/** Default cap on handshakes in progress in all. */
export const DEFAULT_MAX_CONCURRENT_HANDSHAKES = 64;

/** Which limit refused a connection. */
export type AdmissionLimit = 'per_ip_rate' | 'per_ip_handshakes' | 'concurrent_handshakes';

/** Options of {@link ConnectionLimiter}. */
export interface ConnectionLimiterOptions {
  /** Connections admitted per source address per window (default 10). */
  readonly perIpPerMinute?: number | undefined;
  /** Handshakes in progress per source address (default 2). */
  readonly maxHandshakesPerIp?: number | undefined;
  /** Handshakes in progress in all (default 64). */
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
  | { readonly ok: false; readonly limit: AdmissionLimit };

/** Per-IP rate limit, per-IP and global caps on handshakes in progress. */
export class ConnectionLimiter {
  readonly #perIp: number;
  readonly #maxPerIp: number;
  readonly #maxHs: number;
  readonly #window: number;
  readonly #seen = new Map<string, number[]>();
  readonly #activeByIp = new Map<string, number>();
  #active = 0;
  #admits = 0;

  constructor(options: ConnectionLimiterOptions = {}) {
    this.#perIp = positive(options.perIpPerMinute ?? DEFAULT_PER_IP_PER_MINUTE, 'perIpPerMinute');
    this.#maxPerIp = positive(
      options.maxHandshakesPerIp ?? DEFAULT_MAX_HANDSHAKES_PER_IP,
      'maxHandshakesPerIp',
    );
    this.#maxHs = positive(
      options.maxConcurrentHandshakes ?? DEFAULT_MAX_CONCURRENT_HANDSHAKES,
      'maxConcurrentHandshakes',
    );
    this.#window = positive(options.windowMs ?? 60_000, 'windowMs');
  }

  /** Handshakes currently admitted and not yet released. */
  get activeHandshakes(): number {
    return this.#active;
  }

  /** Handshakes from `ip` currently admitted and not yet released. */
  activeHandshakesFrom(ip: string): number {
    return this.#activeByIp.get(ip) ?? 0;
  }

  /**
   * Decides on a new connection from `ip` at time `now` (ms). Refused connections are not counted
   * against the address's rate (so a refused burst does not extend its lockout). Checked in order:
   * the address's rate, its handshakes in progress, then the global cap.
   */
  admit(ip: string, now: number): Admission {
    if (++this.#admits % 256 === 0) this.#sweep(now);
    const since = now - this.#window;
    const times = (this.#seen.get(ip) ?? []).filter((t) => t > since);
    const refuse = (limit: AdmissionLimit): Admission => {
      if (times.length === 0) this.#seen.delete(ip);
      else this.#seen.set(ip, times);
      return { ok: false, limit };
    };
    if (times.length >= this.#perIp) return refuse('per_ip_rate');
    const mine = this.#activeByIp.get(ip) ?? 0;
    if (mine >= this.#maxPerIp) return refuse('per_ip_handshakes');
    if (this.#active >= this.#maxHs) return refuse('concurrent_handshakes');
    times.push(now);
    this.#seen.set(ip, times);
    this.#active++;
    this.#activeByIp.set(ip, mine + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.#active--;
        const n = (this.#activeByIp.get(ip) ?? 1) - 1;
        if (n <= 0) this.#activeByIp.delete(ip);
        else this.#activeByIp.set(ip, n);
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
