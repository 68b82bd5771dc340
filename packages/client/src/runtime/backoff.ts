/**
 * Reconnection delays: exponential backoff with jitter, capped. Attempt `n` (0 for the first retry)
 * waits `d = min(maxDelayMs, initialDelayMs · factor^n)` shortened by a random fraction of up to
 * `jitter`: uniformly in `[d · (1 − jitter), d]`, drawn from the injected `Rng` (so a fleet of clients
 * cut off at once does not come back in step, and tests replay exactly).
 *
 * @module
 */
import type { Rng } from '@superscalar/core';
import { InvalidArgumentError } from '../errors.js';

/** Options of {@link backoffDelay}. */
export interface BackoffOptions {
  /** The first delay, ms (default 500). */
  readonly initialDelayMs?: number;
  /** The cap, ms (default 60,000). */
  readonly maxDelayMs?: number;
  /** Growth per attempt (default 2). */
  readonly factor?: number;
  /** Largest fraction taken off a delay at random, 0..1 (default 0.5). */
  readonly jitter?: number;
}

/** Checks backoff options, returning them with defaults. */
export function validateBackoff(o: BackoffOptions = {}, path = 'options.backoff'): Required<BackoffOptions> {
  const v = {
    initialDelayMs: o.initialDelayMs ?? 500,
    maxDelayMs: o.maxDelayMs ?? 60_000,
    factor: o.factor ?? 2,
    jitter: o.jitter ?? 0.5,
  };
  if (!Number.isFinite(v.initialDelayMs) || v.initialDelayMs < 0)
    throw new InvalidArgumentError(`${path}.initialDelayMs`, 'expected a non-negative number');
  if (!Number.isFinite(v.maxDelayMs) || v.maxDelayMs < v.initialDelayMs)
    throw new InvalidArgumentError(`${path}.maxDelayMs`, 'expected a number ≥ initialDelayMs');
  if (!Number.isFinite(v.factor) || v.factor < 1)
    throw new InvalidArgumentError(`${path}.factor`, 'expected a number ≥ 1');
  if (!(v.jitter >= 0 && v.jitter <= 1)) throw new InvalidArgumentError(`${path}.jitter`, 'expected 0..1');
  return v;
}

/** The delay before reconnection attempt `attempt` (0, 1, 2, …), ms. */
export function backoffDelay(attempt: number, options: BackoffOptions, rng: Rng): number {
  const o = validateBackoff(options);
  if (!Number.isSafeInteger(attempt) || attempt < 0)
    throw new InvalidArgumentError('attempt', 'expected a non-negative integer');
  const d = Math.min(o.maxDelayMs, o.initialDelayMs * o.factor ** Math.min(attempt, 1024));
  const b = rng(4);
  const u = (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
  return Math.round(d * (1 - o.jitter * (u / 2 ** 32)));
}
