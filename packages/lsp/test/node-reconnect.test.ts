// The client's redial loop against a real LSP that goes away and comes back on the same port.
import { ClientNode } from '@superscalar/client/node';
import { nodeIdOf } from '@superscalar/client/runtime';
import { afterAll, expect, it } from 'vitest';
import { LspNode } from '../src/node/index.js';
import {
  clientSecret,
  type EchoCommand,
  EchoMachine,
  LOOSE_LIMITS,
  LSP_ID,
  LSP_SECRET,
  memoryLogger,
  tempStores,
  waitFor,
} from './_echo.js';

const stores = tempStores();
afterAll(() => stores.cleanup());

it('the client redials with backoff while the LSP is down and reconnects when it restarts', async () => {
  const lspPath = stores.path();
  const start = async (port: number) => {
    const machine = new EchoMachine(LSP_ID);
    const lsp = await LspNode.start<EchoCommand>({
      machine,
      nodeSecret: LSP_SECRET,
      network: 'regtest',
      store: await stores.open(lspPath),
      limits: LOOSE_LIMITS,
      listen: { port },
    });
    return { lsp, machine };
  };
  const first = await start(0);
  const port = first.lsp.address.port;
  const secret = clientSecret(9);
  const cm = new EchoMachine(nodeIdOf(secret), false);
  const logger = memoryLogger();
  const draws: number[] = [];
  const client = await ClientNode.start<EchoCommand>({
    machine: cm,
    nodeSecret: secret,
    network: 'regtest',
    store: await stores.open(stores.path()),
    lsp: first.lsp.connectString,
    backoff: { initialDelayMs: 10, maxDelayMs: 80, factor: 2, jitter: 0.5 },
    rng: (n) => {
      draws.push(n);
      return new Uint8Array(n).fill(draws.length * 37);
    },
    logger,
  });
  try {
    await client.whenConnected();
    expect(client.connections).toBe(1);
    await first.lsp.stop();
    await waitFor(() => cm.of('peer_disconnected').length === 1, 'the client to see the LSP go');
    const failedDials = () => logger.records.filter((r) => r.msg === 'could not connect to the LSP').length;
    await waitFor(() => failedDials() >= 3, 'a few failed dials while the LSP is down');
    expect(draws.length).toBeGreaterThanOrEqual(3); // each retry drew its jitter from the injected rng
    const second = await start(port);
    try {
      await client.whenConnected();
      await waitFor(
        () => second.machine.of('peer_connected').length === 1,
        'the LSP to see the client again',
      );
      expect(client.connections).toBe(2);
      expect(cm.inputs.filter((i) => i.type.startsWith('peer_')).map((i) => i.type)).toEqual([
        'peer_connected',
        'peer_disconnected',
        'peer_connected',
      ]);
    } finally {
      await client.stop();
      await second.lsp.stop();
    }
  } finally {
    await client.stop();
    await first.lsp.stop();
  }
});
