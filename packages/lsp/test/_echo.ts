// Test-only plumbing for the Node runtimes: an honest little machine (it persists, sends and records
// its inputs), SQLite stores in temp files, store wrappers that slow down or fail, polling waits, and
// nodes over echo machines stopped after each test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientNode, type ClientNodeOptions } from '@superscalar/client/node';
import { nodeIdOf } from '@superscalar/client/runtime';
import type { Logger, LogRecord } from '@superscalar/core';
import type { Store } from '@superscalar/persist';
import { openSqliteStore } from '@superscalar/persist/sqlite';
import { afterEach } from 'vitest';
import type { Action, RuntimeInput } from '../src/index.js';
import { LspNode, type LspNodeOptions } from '../src/node/index.js';

export const LSP_SECRET = new Uint8Array(32).fill(0x11);
export const LSP_ID = nodeIdOf(LSP_SECRET);
export const clientSecret = (n: number) => new Uint8Array(32).fill(0x20 + n);
const SEALING_KEY = new Uint8Array(32).fill(0x42);

/** Commands of {@link EchoMachine}. */
export type EchoCommand =
  | { readonly type: 'say'; readonly peer: string; readonly text: string }
  | { readonly type: 'kick'; readonly peer: string }
  | { readonly type: 'broadcast'; readonly raw: Uint8Array; readonly txid: string }
  | { readonly type: 'boom' };

/**
 * Echoes each `warning` it receives after persisting it: `persist` (blob `echo/<n>` holding the text,
 * and an `echoed` event), then `send` (`warning` "echo <n> <text>"). `say` does the same for a text of
 * the embedder's. Records every input but ticks (counted).
 */
export class EchoMachine {
  readonly inputs: (RuntimeInput | EchoCommand)[] = [];
  ticks = 0;
  n = 0;
  /** Called with each message the machine receives, as it receives it. */
  onMessage: ((peer: string, text: string) => void) | undefined;

  constructor(
    readonly nodeId: string,
    readonly echo = true,
  ) {}

  handle(input: RuntimeInput | EchoCommand, _now: number): Action[] {
    if (input.type === 'tick') {
      this.ticks++;
      return [];
    }
    this.inputs.push(input);
    switch (input.type) {
      case 'message':
        if (input.message.type !== 'warning') return [];
        this.onMessage?.(input.peer, input.message.text);
        return this.echo ? this.#say(input.peer, input.message.text) : [];
      case 'say':
        return this.#say(input.peer, input.text);
      case 'kick':
        return [{ kind: 'disconnect', peer: input.peer, reason: 'kicked by the test' }];
      case 'broadcast':
        return [{ kind: 'broadcast', raw: input.raw, txid: input.txid, label: 'test' }];
      case 'boom':
        throw new Error('the machine has a bug');
      default:
        return [];
    }
  }

  #say(peer: string, text: string): Action[] {
    const n = ++this.n;
    return [
      {
        kind: 'persist',
        ops: [
          {
            op: 'put',
            table: 'blobs',
            row: { key: `echo/${n}`, version: 1, data: utf8(text), secret: false },
          },
          { op: 'event', kind: 'echoed', payload: utf8(`${n}`) },
        ],
      },
      { kind: 'send', peer, message: { type: 'warning', text: `echo ${n} ${text}` } },
    ];
  }

  /** The inputs of one type, e.g. `of('peer_connected')`. */
  of<T extends (RuntimeInput | EchoCommand)['type']>(
    type: T,
  ): Extract<RuntimeInput | EchoCommand, { type: T }>[] {
    return this.inputs.filter((i) => i.type === type) as Extract<RuntimeInput | EchoCommand, { type: T }>[];
  }
}

export const utf8 = (s: string) => new TextEncoder().encode(s);

/** Temp SQLite stores, removed by `cleanup`. */
export function tempStores() {
  const dir = mkdtempSync(join(tmpdir(), 'lsp-node-'));
  let k = 0;
  return {
    path: (name = `s${k++}`) => join(dir, `${name}.db`),
    open: (path: string) => openSqliteStore({ path, sealingKey: SEALING_KEY }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Wraps a store: `delayMs` holds each update back before it reaches the store (so a send that did
 * not wait for it would overtake it); `failing` makes every later update fail.
 */
export function controlledStore(inner: Store, delayMs = 0): Store & { failing: boolean } {
  const ctl = { failing: false };
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'failing') return ctl.failing;
      if (prop === 'applyUpdate')
        return async (u: Parameters<Store['applyUpdate']>[0]) => {
          if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
          if (ctl.failing) throw new Error('injected store failure');
          return target.applyUpdate(u);
        };
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
    set(_t, prop, value) {
      if (prop === 'failing') {
        ctl.failing = value as boolean;
        return true;
      }
      return false;
    },
  }) as Store & { failing: boolean };
}

/** Polls `cond` until it holds (a liveness bound of 15 s, not a timing assertion). */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A logger that keeps its records. */
export function memoryLogger(): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  return { records, log: (r) => records.push(r) };
}

/** Generous listener limits: every test client comes from 127.0.0.1. */
export const LOOSE_LIMITS = { perIpPerMinute: 10_000, maxHandshakesPerIp: 64 } as const;

/** What a test file starts: every node pushed here is stopped after each test. */
export function stoppedAfterEach(): { stop(): Promise<unknown> }[] {
  const running: { stop(): Promise<unknown> }[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((n) => n.stop()));
  });
  return running;
}

/** Starts an LspNode over an EchoMachine on `store` (stopped after the test), with a memory logger. */
export async function startEchoLsp(
  store: Store,
  running: { stop(): Promise<unknown> }[],
  extra: Partial<LspNodeOptions<EchoCommand>> = {},
) {
  const machine = new EchoMachine(LSP_ID);
  const logger = memoryLogger();
  const lsp = await LspNode.start<EchoCommand>({
    machine,
    nodeSecret: LSP_SECRET,
    network: 'regtest',
    store,
    limits: LOOSE_LIMITS,
    logger,
    ...extra,
  });
  running.push(lsp);
  return { lsp, machine, logger };
}

/** Starts client `n`'s ClientNode over an EchoMachine on `store`, dialing `lsp` (stopped after the test). */
export async function startEchoClient(
  lsp: LspNode<EchoCommand>,
  n: number,
  store: Store,
  running: { stop(): Promise<unknown> }[],
  extra: Partial<ClientNodeOptions<EchoCommand>> = {},
) {
  const secret = clientSecret(n);
  const machine = new EchoMachine(nodeIdOf(secret), false);
  const client = await ClientNode.start<EchoCommand>({
    machine,
    nodeSecret: secret,
    network: 'regtest',
    store,
    lsp: lsp.connectString,
    backoff: { initialDelayMs: 20, maxDelayMs: 200 },
    ...extra,
  });
  running.push(client);
  return { client, machine };
}
