// ClientNode against a bare LSP stand-in (noise-nk's listener and a responder MessageLink): the
// client's proof is checked there, a dropped connection is redialled, and the options are checked.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listen, type NoiseListener } from '@superscalar/noise-nk/node';
import { openSqliteStore } from '@superscalar/persist/sqlite';
import { MessageLink } from '@superscalar/wire';
import { afterAll, describe, expect, it } from 'vitest';
import type { Action, RuntimeInput } from '../src/index.js';
import { InvalidArgumentError, StoppedError } from '../src/index.js';
import { ClientNode } from '../src/node/index.js';
import { nodeIdOf } from '../src/runtime/index.js';

const LSP_SECRET = new Uint8Array(32).fill(0x11);
const SECRET = new Uint8Array(32).fill(0x33);
const dir = mkdtempSync(join(tmpdir(), 'client-node-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let k = 0;
const store = () =>
  openSqliteStore({ path: join(dir, `c${k++}.db`), sealingKey: new Uint8Array(32).fill(1) });

class Recorder {
  readonly inputs: RuntimeInput[] = [];
  constructor(readonly nodeId: string) {}
  handle(input: RuntimeInput): Action[] {
    if (input.type !== 'tick') this.inputs.push(input);
    return [];
  }
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** An LSP stand-in: accepts, exchanges init (requiring the proof), keeps the links it made. */
async function standIn(): Promise<{ listener: NoiseListener; links: MessageLink[] }> {
  const links: MessageLink[] = [];
  const listener = await listen({
    localStatic: LSP_SECRET,
    perIpPerMinute: 1000,
    onSession: (s) => {
      void MessageLink.open(s, { role: 'responder', network: 'regtest' }).then(
        (l) => {
          l.start(() => undefined);
          links.push(l);
        },
        () => undefined,
      );
    },
  });
  return { listener, links };
}

describe('ClientNode', () => {
  it('connects with its identity proven, and redials after the LSP drops the connection', async () => {
    const { listener, links } = await standIn();
    const machine = new Recorder(nodeIdOf(SECRET));
    const client = await ClientNode.start({
      machine,
      nodeSecret: SECRET,
      network: 'regtest',
      store: await store(),
      lsp: `${nodeIdOf(LSP_SECRET)}@127.0.0.1:${listener.port}`,
      backoff: { initialDelayMs: 5, maxDelayMs: 20 },
    });
    try {
      await client.whenConnected();
      await waitFor(() => links.length === 1, 'the stand-in to see the client');
      expect(links[0]?.remoteNodeId).toBe(client.nodeId);
      await links[0]?.close();
      await waitFor(() => links.length === 2 && client.connections === 2, 'the redial');
      expect(machine.inputs.map((i) => i.type)).toEqual([
        'peer_connected',
        'peer_disconnected',
        'peer_connected',
      ]);
      expect(machine.inputs.every((i) => !('peer' in i) || i.peer === client.lspNodeId)).toBe(true);
    } finally {
      await client.stop();
      await listener.close();
    }
    await expect(client.command(undefined as never)).rejects.toSatisfy((e) => StoppedError.isInstance(e));
  });

  it('stops promptly while the LSP is unreachable', async () => {
    const { listener } = await standIn();
    const port = listener.port;
    await listener.close();
    const client = await ClientNode.start({
      machine: new Recorder(nodeIdOf(SECRET)),
      nodeSecret: SECRET,
      network: 'regtest',
      store: await store(),
      lsp: `${nodeIdOf(LSP_SECRET)}@127.0.0.1:${port}`,
      backoff: { initialDelayMs: 60_000, maxDelayMs: 60_000 },
    });
    expect(await client.stop()).toBeUndefined(); // the 60 s backoff does not hold it
    expect(client.connections).toBe(0);
  });

  it('refuses a machine whose node id is not the secret’s, and a malformed LSP address', async () => {
    const base = { nodeSecret: SECRET, network: 'regtest' as const, store: await store() };
    await expect(
      ClientNode.start({
        ...base,
        machine: new Recorder(nodeIdOf(LSP_SECRET)),
        lsp: `${nodeIdOf(LSP_SECRET)}@h:1`,
      }),
    ).rejects.toMatchObject({ code: 'CLIENT_INVALID_ARGUMENT', argument: 'options.machine.nodeId' });
    await expect(
      ClientNode.start({ ...base, machine: new Recorder(nodeIdOf(SECRET)), lsp: 'nope' }),
    ).rejects.toSatisfy((e) => InvalidArgumentError.isInstance(e));
    await base.store.close();
  });
});
