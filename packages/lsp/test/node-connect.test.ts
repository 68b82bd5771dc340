// LspNode and ClientNode over real loopback Noise connections: init with the identity proof, the
// refusals (a bad proof, another network, no init in time), a node id's new connection replacing the
// old one, and WebSocket.
import { connect as tcp } from 'node:net';
import type { ClientNodeOptions } from '@superscalar/client/node';
import { fromHex } from '@superscalar/core';
import { connect } from '@superscalar/noise-nk';
import { socketChannel } from '@superscalar/noise-nk/node';
import { decodeMessage, encodeMessage, MessageLink, signIdentity } from '@superscalar/wire';
import { afterAll, describe, expect, it } from 'vitest';
import type { LspNode, LspNodeOptions } from '../src/node/index.js';
import {
  clientSecret,
  type EchoCommand,
  LSP_ID,
  startEchoClient,
  startEchoLsp,
  stoppedAfterEach,
  tempStores,
  waitFor,
} from './_echo.js';

const stores = tempStores();
const running = stoppedAfterEach();
const startLsp = async (extra: Partial<LspNodeOptions<EchoCommand>> = {}) =>
  startEchoLsp(await stores.open(stores.path()), running, extra);
const startClient = async (
  lsp: LspNode<EchoCommand>,
  n: number,
  extra: Partial<ClientNodeOptions<EchoCommand>> = {},
) =>
  startEchoClient(lsp, n, await stores.open(stores.path()), running, {
    rng: (k) => new Uint8Array(k).fill(0x80),
    ...extra,
  });

/** A bare Noise session to the LSP (no MessageLink on our side). */
function rawSession(lsp: LspNode<EchoCommand>) {
  return connect(socketChannel(tcp({ host: lsp.address.host, port: lsp.address.port })), {
    remoteStatic: fromHex(LSP_ID),
  });
}

describe('LspNode and ClientNode: connecting', () => {
  it('a client proves its identity in init; both machines see peer_connected for each other', async () => {
    const { lsp, machine } = await startLsp();
    const { client, machine: cm } = await startClient(lsp, 1);
    await client.whenConnected();
    await waitFor(() => machine.of('peer_connected').length === 1, 'the LSP to see the client');
    expect(machine.of('peer_connected')).toEqual([{ type: 'peer_connected', peer: client.nodeId }]);
    expect(lsp.peers()).toEqual([client.nodeId]);
    expect(cm.of('peer_connected')).toEqual([{ type: 'peer_connected', peer: LSP_ID }]);
    // And messages flow both ways: the LSP echoes after persisting.
    await client.command({ type: 'say', peer: LSP_ID, text: 'hi' }).catch(() => undefined);
    await waitFor(() => cm.of('message').length === 1, 'the echo');
    expect(cm.of('message')[0]).toMatchObject({ message: { type: 'warning', text: 'echo 1 echo 1 hi' } });
  });

  it('a claimed identity with a bad proof is refused with an error, and the machine never sees it', async () => {
    const { lsp, machine } = await startLsp();
    const session = await rawSession(lsp);
    const proof = signIdentity(clientSecret(2), new Uint8Array(32).fill(7)); // bound to another connection
    await session.send(
      encodeMessage({
        type: 'init',
        versions: [1],
        features: new Uint8Array(0),
        network: 'regtest',
        identity: proof,
      }),
    );
    const got: string[] = [];
    for await (const m of session) got.push(decodeMessage(m).type);
    expect(got).toEqual(['init', 'error']); // then the LSP closed the connection
    expect(machine.of('peer_connected')).toEqual([]);
    expect(lsp.peers()).toEqual([]);
  });

  it('a client on another network is refused', async () => {
    const { lsp, machine, logger } = await startLsp();
    const { client } = await startClient(lsp, 3, { network: 'signet' });
    await waitFor(
      () => logger.records.some((r) => (r.err as { code?: string })?.code === 'WIRE_NETWORK_MISMATCH'),
      'the refusal',
    );
    expect(machine.of('peer_connected')).toEqual([]);
    expect(client.connections).toBe(0);
  });

  it('a connection without init within the window is closed (error first)', async () => {
    const { lsp, machine } = await startLsp({ link: { initTimeoutMs: 150 } });
    const session = await rawSession(lsp);
    const got: string[] = [];
    for await (const m of session) got.push(decodeMessage(m).type); // ends when the LSP closes it
    expect(got).toEqual(['init', 'error']);
    expect(machine.of('peer_connected')).toEqual([]);
  });

  it("a node id's new connection replaces the old one: the machine sees disconnect, then connect", async () => {
    const { lsp, machine } = await startLsp();
    const { client } = await startClient(lsp, 4, { backoff: { initialDelayMs: 60_000, maxDelayMs: 60_000 } });
    await client.whenConnected();
    await waitFor(() => machine.of('peer_connected').length === 1, 'the first connection');
    // A second connection proving the same node id.
    const second = await MessageLink.open(await rawSession(lsp), {
      role: 'initiator',
      network: 'regtest',
      nodeSecret: clientSecret(4),
    });
    const received: string[] = [];
    second.start((m) => received.push(m.type === 'warning' ? m.text : m.type));
    await waitFor(() => machine.of('peer_connected').length === 2, 'the replacement');
    expect(machine.inputs.filter((i) => i.type.startsWith('peer_'))).toEqual([
      { type: 'peer_connected', peer: client.nodeId },
      { type: 'peer_disconnected', peer: client.nodeId },
      { type: 'peer_connected', peer: client.nodeId },
    ]);
    await waitFor(() => !client.connected, 'the old connection to close');
    await lsp.command({ type: 'say', peer: client.nodeId, text: 'to the new one' });
    await waitFor(() => received.length === 1, 'the message on the new connection');
    expect(received).toEqual(['echo 1 to the new one']);
    await second.close();
  });

  it('a client connects over WebSocket as well', async () => {
    const { lsp, machine } = await startLsp({ webSocket: {} });
    const url = lsp.webSocket?.url as string;
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
    const { client } = await startClient(lsp, 5, { lsp: `${LSP_ID}@${url}` });
    await client.whenConnected();
    await waitFor(() => machine.of('peer_connected').length === 1, 'the WebSocket client');
    expect(lsp.peers()).toEqual([client.nodeId]);
  });
});

afterAll(() => stores.cleanup());
