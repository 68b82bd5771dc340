// What every run of the demo shares (the default demo, the unilateral scenes of scenes.ts and the
// breach scenes of breach.ts and breachAdvance.ts): its clock and printed steps, its logger and
// timeout, a temporary directory, the journal of every role's events with the pumps that fill it, the
// stoppers run at its end, the roles' chain ports, and waiting for a transaction to reach the chain.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlockFollower, ChainBackend } from '@superscalar/chain';
import { consoleLogger, type Logger, type LogLevel, noopLogger } from '@superscalar/core';
import type { DemoChain } from './chain.js';
import { Journal } from './journal.js';

/** One step as printed. */
export interface StepRecord {
  readonly step: string;
  /** ms since the demo started. */
  readonly atMs: number;
  readonly text: string;
}

/** A run under way (see {@link startRun}). */
export interface Run {
  /** `performance.now()` at the start. */
  readonly start: number;
  /** ms since the start. */
  now(): number;
  /** Every step printed so far. */
  readonly steps: StepRecord[];
  /** Records and prints a step (`[  123 ms] name      text`). */
  step(name: string, text: string): void;
  /** Prints an indented line under the last step. */
  detail(text: string): void;
  readonly logger: Logger;
  /** How long any one wait may take (ms): longer on a real bitcoind. */
  readonly timeout: number;
  /** The run's temporary directory (the roles' stores). */
  readonly dir: string;
  readonly journal: Journal;
  /** Stoppers of what is started, run by {@link endRun}. */
  readonly stops: (() => Promise<unknown>)[];
  /** Aborted by {@link endRun}: the roles' event pumps stop. */
  readonly pumps: AbortController;
}

/**
 * Starts a run: its clock, a temporary directory `superscalar-<name>-…`, and `print` for each human
 * line (none when undefined). `steps` collects the steps (default a new list).
 */
export function startRun(
  o: { readonly regtest: boolean; readonly logLevel?: LogLevel },
  name: string,
  print?: (line: string) => void,
  steps: StepRecord[] = [],
): Run {
  const start = performance.now();
  const now = (): number => Math.round(performance.now() - start);
  return {
    start,
    now,
    steps,
    step(step, text) {
      const at = now();
      steps.push({ step, atMs: at, text });
      print?.(`[${String(at).padStart(5)} ms] ${step.padEnd(9)} ${text}`);
    },
    detail: (text) => print?.(`${' '.repeat(20)}${text}`),
    logger: o.logLevel === undefined ? noopLogger : consoleLogger(o.logLevel),
    timeout: o.regtest ? 120_000 : 30_000,
    dir: mkdtempSync(join(tmpdir(), `superscalar-${name}-`)),
    journal: new Journal(now),
    stops: [],
    pumps: new AbortController(),
  };
}

/** Ends a run: the pumps stop, everything started stops, the chain stops, the directory goes unless `keep`. */
export async function endRun(run: Run, chain: DemoChain | undefined, keep = false): Promise<void> {
  run.pumps.abort();
  await Promise.all(run.stops.splice(0).map((s) => s().catch(() => undefined)));
  await chain?.stop().catch(() => undefined);
  if (!keep) rmSync(run.dir, { recursive: true, force: true });
}

/** The chain ports of a role's node, following from the block before `tip`; the demo polls them. */
export function rolePorts(tip: number) {
  return (backend: ChainBackend, follower: BlockFollower) => ({
    follower,
    from: { height: tip - 1 },
    pollIntervalMs: 0,
    broadcaster: backend,
    fees: backend,
  });
}

/** Drains one role's event queue into the journal until `signal` aborts. */
export async function pump(
  role: string,
  node: {
    waitForEvent(signal?: AbortSignal): Promise<{ kind: string; payload: Uint8Array }>;
    eventHandled(): Promise<void>;
  },
  decode: (r: { kind: string; payload: Uint8Array }) => Parameters<Journal['push']>[1],
  journal: Journal,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    let record: { kind: string; payload: Uint8Array };
    try {
      record = await node.waitForEvent(signal);
    } catch {
      return;
    }
    journal.push(role, decode(record));
    try {
      await node.eventHandled();
    } catch {
      return;
    }
  }
}

/** Resolves once `txid` is in the mempool (or a block). */
export async function inMempool(chain: ChainBackend, txid: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await chain.getTransaction(txid);
      return;
    } catch (e) {
      if (Date.now() > deadline)
        throw new Error(`${txid} never reached the mempool: ${(e as Error).message}`);
    }
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** A number with thousands separators (`100,000`). */
export const fmt = (n: bigint | number): string => Number(n).toLocaleString('en-US');
