// MessageLink over real Noise NK sessions on in-memory channels, with virtual timers: the init
// exchange and its refusals, liveness, bounded decoding, fragments and faults closing one connection.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { toHex } from '@superscalar/core';
import { accept, connect, type NoiseSession } from '@superscalar/noise-nk';
import { FakeTimers, memoryChannelPair } from '@superscalar/noise-nk/test';
import { describe, expect, it } from 'vitest';
import { sampleFactoryPropose } from '../scripts/_samples.js';
import {
  DecodeError,
  decodeMessage,
  encodeMessage,
  InitError,
  type LinkError,
  type LinkOptions,
  type LinkSession,
  type Message,
  MessageLink,
  PeerError,
  preEncodeMessage,
  signIdentity,
  unknownRequiredFeature,
  WireError,
} from '../src/index.js';

const LSP_KEY = new Uint8Array(32).fill(0x11);
const CLIENT_KEY = new Uint8Array(32).fill(0x22);
const LSP_ID = toHex(secp256k1.getPublicKey(LSP_KEY, true));
const CLIENT_ID = toHex(secp256k1.getPublicKey(CLIENT_KEY, true));

/** Lets microtask-delivered bytes and the promises they settle run. */
async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

async function sessions(timers: FakeTimers): Promise<{ client: NoiseSession; lsp: NoiseSession }> {
  const [a, b] = memoryChannelPair();
  const [client, lsp] = await Promise.all([
    connect(a, { remoteStatic: secp256k1.getPublicKey(LSP_KEY, true), timers }),
    accept(b, { localStatic: LSP_KEY, timers }),
  ]);
  return { client, lsp };
}

const base = (timers: FakeTimers, extra: Partial<LinkOptions> = {}) => ({
  network: 'regtest' as const,
  timers,
  ...extra,
});

async function linked(extra: { client?: Partial<LinkOptions>; lsp?: Partial<LinkOptions> } = {}) {
  const timers = new FakeTimers();
  const { client, lsp } = await sessions(timers);
  const [c, l] = await Promise.all([
    MessageLink.open(client, { role: 'initiator', nodeSecret: CLIENT_KEY, ...base(timers, extra.client) }),
    MessageLink.open(lsp, { role: 'responder', ...base(timers, extra.lsp) }),
  ]);
  const got = { client: [] as Message[], lsp: [] as Message[] };
  c.start((m) => got.client.push(m));
  l.start((m) => got.lsp.push(m));
  return { timers, c, l, got, raw: { client, lsp } };
}

/** A raw client: the LSP side runs a link, the client side is the bare session. */
async function rawClient(lspExtra: Partial<LinkOptions> = {}) {
  const timers = new FakeTimers();
  const { client, lsp } = await sessions(timers);
  const opening = MessageLink.open(lsp, { role: 'responder', ...base(timers, lspExtra) });
  const outcome = opening.then(
    (link) => ({ link, error: undefined }),
    (error: unknown) => ({ link: undefined, error }),
  );
  const received: Message[] = [];
  const reading = (async () => {
    for (;;) {
      const m = await client.receive().catch(() => undefined);
      if (m === undefined) return;
      received.push(decodeMessage(m));
    }
  })();
  const send = (m: Message) => client.send(encodeMessage(m));
  return { timers, client, outcome, received, reading, send };
}

const init = (extra: Partial<Extract<Message, { type: 'init' }>> = {}): Message => ({
  type: 'init',
  versions: [1],
  features: new Uint8Array(0),
  network: 'regtest',
  ...extra,
});

describe('MessageLink: init', () => {
  it('exchanges init both ways: the LSP learns the proven node id, the client the Noise key', async () => {
    const { c, l, got } = await linked();
    expect(l.remoteNodeId).toBe(CLIENT_ID);
    expect(c.remoteNodeId).toBe(LSP_ID);
    expect(l.remoteInit).toMatchObject({ network: 'regtest', versions: [1] });
    expect(c.send({ type: 'warning', text: 'hello' })).toBe(true);
    await settle();
    expect(got.lsp).toEqual([{ type: 'warning', text: 'hello' }]);
  });

  it('refuses a claimed identity whose proof is for another connection (error, then close)', async () => {
    const r = await rawClient();
    const wrongHash = new Uint8Array(32).fill(9);
    await r.send(init({ identity: signIdentity(CLIENT_KEY, wrongHash) }));
    const { error } = await r.outcome;
    expect(InitError.isInstance(error)).toBe(true);
    expect((error as InitError).code).toBe('WIRE_IDENTITY_INVALID');
    await r.reading; // the LSP closed the session
    expect(r.received.map((m) => m.type)).toEqual(['init', 'error']);
  });

  it('refuses an init without an identity proof, unless the responder does not require one', async () => {
    const r = await rawClient();
    await r.send(init());
    expect(((await r.outcome).error as InitError).code).toBe('WIRE_IDENTITY_MISSING');
    const anon = await rawClient({ requireIdentity: false });
    await anon.send(init());
    const { link } = await anon.outcome;
    expect(link?.remoteNodeId).toBeUndefined();
  });

  it('refuses a peer on another network, on both sides', async () => {
    const timers = new FakeTimers();
    const { client, lsp } = await sessions(timers);
    const [c, l] = await Promise.allSettled([
      MessageLink.open(client, {
        role: 'initiator',
        nodeSecret: CLIENT_KEY,
        ...base(timers),
        network: 'signet',
      }),
      MessageLink.open(lsp, { role: 'responder', ...base(timers) }),
    ]);
    expect(c.status === 'rejected' && WireError.isInstance(c.reason)).toBe(true);
    expect(l.status === 'rejected' && (l.reason as WireError).code).toBe('WIRE_NETWORK_MISMATCH');
  });

  it('closes a connection whose init does not arrive within the window', async () => {
    const r = await rawClient({ initTimeoutMs: 500 });
    r.timers.advance(499);
    await settle();
    r.timers.advance(1);
    const { error } = await r.outcome;
    expect((error as InitError).code).toBe('WIRE_INIT_TIMEOUT');
    await r.reading;
    expect(r.received.at(-1)).toMatchObject({ type: 'error' });
  });

  it('refuses any other message before init, and an unknown required feature', async () => {
    const r = await rawClient();
    await r.send({ type: 'warning', text: 'too early' });
    expect(((await r.outcome).error as InitError).code).toBe('WIRE_INIT_EXPECTED');
    const f = await rawClient();
    await f.send(init({ features: Uint8Array.of(0x01, 0x00), identity: undefined }));
    expect(((await f.outcome).error as InitError).code).toBe('WIRE_UNKNOWN_REQUIRED_FEATURE');
    expect(unknownRequiredFeature(Uint8Array.of(0x02), new Uint8Array(0))).toBeUndefined(); // odd: optional
    expect(unknownRequiredFeature(Uint8Array.of(0x04), Uint8Array.of(0x10))).toBe(2);
    expect(unknownRequiredFeature(Uint8Array.of(0x04), Uint8Array.of(0x08))).toBeUndefined(); // we know its pair
  });

  it('a peer refusing us surfaces as PeerError with its text', async () => {
    const timers = new FakeTimers();
    const { client, lsp } = await sessions(timers);
    const opening = MessageLink.open(client, { role: 'initiator', nodeSecret: CLIENT_KEY, ...base(timers) });
    await lsp.send(encodeMessage({ type: 'error', text: 'go away' }));
    const e = await opening.catch((x: unknown) => x);
    expect(PeerError.isInstance(e) && e.text).toBe('go away');
  });
});

describe('MessageLink: once open', () => {
  it('answers ping with pong, pings on its interval and closes on silence', async () => {
    const r = await rawClient({ pingIntervalMs: 1000, silenceTimeoutMs: 2500 });
    await r.send(init({ identity: signIdentity(CLIENT_KEY, r.client.handshakeHash) }));
    const link = (await r.outcome).link as MessageLink;
    link.start(() => undefined);
    await r.send({ type: 'ping', numPongBytes: 3, ignored: new Uint8Array(0) });
    await settle();
    expect(r.received.at(-1)).toEqual({ type: 'pong', ignored: new Uint8Array(3) });
    r.timers.advance(1000);
    await settle();
    expect(r.received.at(-1)).toMatchObject({ type: 'ping' });
    r.timers.advance(1500);
    expect(((await link.closed) as LinkError).code).toBe('WIRE_PEER_SILENT');
  });

  it('a malformed message gets an error and closes that link only', async () => {
    const { c, l, raw } = await linked();
    const other = await linked();
    await raw.client.send(Uint8Array.of(0x00, 0x14, 0x02)); // warning with a truncated TLV
    const reason = await l.closed;
    expect(DecodeError.isInstance(reason)).toBe(true);
    expect(PeerError.isInstance(await c.closed)).toBe(true); // the client got the error
    expect(other.l.isOpen && other.c.isOpen).toBe(true);
  });

  it('ignores unknown odd message types and closes on unknown even ones', async () => {
    const { l, raw, got } = await linked();
    await raw.client.send(Uint8Array.of(0xff, 0xf1, 0x00));
    await raw.client.send(encodeMessage({ type: 'warning', text: 'after' }));
    await settle();
    expect(got.lsp).toEqual([{ type: 'warning', text: 'after' }]);
    await raw.client.send(Uint8Array.of(0xff, 0xf0));
    expect(((await l.closed) as WireError).code).toBe('WIRE_UNKNOWN_MESSAGE_TYPE');
  });

  it('bounds messages by type, and carries large ones as fragments within their bound', async () => {
    const big = { type: 'warning' as const, text: 'x'.repeat(150_000) };
    const { c, l, got } = await linked({ lsp: { maxTotalSizeByType: { warning: 200_000 } } });
    expect(c.send(big)).toBe(true);
    await settle(60);
    expect(got.lsp).toEqual([big]);
    const small = await linked({ lsp: { maxTotalSizeByType: { warning: 100_000 } } });
    small.c.send(big);
    expect(((await small.l.closed) as WireError).code).toBe('WIRE_FRAGMENT_TOO_LARGE');
    const tight = await linked({ lsp: { maxSizeByType: { warning: 20 } } });
    tight.c.send({ type: 'warning', text: 'longer than twenty bytes' });
    expect(((await tight.l.closed) as WireError).code).toBe('WIRE_MESSAGE_TOO_LARGE');
    expect(l.isOpen).toBe(true);
  });

  it("a peer's connection-level error is delivered, then the link closes; abort() sends one", async () => {
    const { c, l, got } = await linked();
    await c.abort('bye');
    const reason = await l.closed;
    expect(PeerError.isInstance(reason) && reason.text).toBe('bye');
    expect(got.lsp).toEqual([{ type: 'error', text: 'bye' }]);
    expect(await c.closed).toBeUndefined();
    expect(c.send({ type: 'warning', text: 'late' })).toBe(false);
  });

  it('a second init, a throwing handler and an unread send buffer each close the link', async () => {
    const a = await linked();
    await a.raw.client.send(encodeMessage(init()));
    expect(((await a.l.closed) as LinkError).code).toBe('WIRE_UNEXPECTED_MESSAGE');

    const timers = new FakeTimers();
    const { client, lsp } = await sessions(timers);
    const [c, l] = await Promise.all([
      MessageLink.open(client, { role: 'initiator', nodeSecret: CLIENT_KEY, ...base(timers) }),
      MessageLink.open(lsp, { role: 'responder', ...base(timers) }),
    ]);
    l.start(() => {
      throw new Error('handler bug');
    });
    c.start(() => undefined);
    c.send({ type: 'warning', text: 'boom' });
    expect(((await l.closed) as LinkError).code).toBe('WIRE_HANDLER_FAILED');

    const [x, y] = memoryChannelPair();
    const [sx, sy] = await Promise.all([
      connect(x, { remoteStatic: secp256k1.getPublicKey(LSP_KEY, true), timers }),
      accept(y, { localStatic: LSP_KEY, timers }),
    ]);
    const [lx] = await Promise.all([
      MessageLink.open(sx, {
        role: 'initiator',
        nodeSecret: CLIENT_KEY,
        ...base(timers),
        maxSendBufferBytes: 10_000,
      }),
      MessageLink.open(sy, { role: 'responder', ...base(timers) }),
    ]);
    lx.start(() => undefined);
    x.writeResult = false; // the transport stops taking bytes: sends wait for a drain that never comes
    for (let i = 0; i < 5 && lx.isOpen; i++) lx.send({ type: 'warning', text: 'y'.repeat(3000) });
    expect(((await lx.closed) as LinkError).code).toBe('WIRE_SEND_BUFFER_FULL');
  });
});

describe('MessageLink: sendEncoded (one encoding, many links)', () => {
  /** A client link and an LSP link whose session records every frame the LSP sends. */
  async function spied() {
    const timers = new FakeTimers();
    const { client, lsp } = await sessions(timers);
    const frames: Uint8Array[] = [];
    const session: LinkSession = {
      get handshakeHash() {
        return lsp.handshakeHash;
      },
      get remoteStatic() {
        return lsp.remoteStatic;
      },
      send: (m) => {
        frames.push(m.slice());
        return lsp.send(m);
      },
      receive: () => lsp.receive(),
      close: () => lsp.close(),
      destroy: () => lsp.destroy(),
    };
    const [c, l] = await Promise.all([
      MessageLink.open(client, { role: 'initiator', nodeSecret: CLIENT_KEY, ...base(timers) }),
      MessageLink.open(session, { role: 'responder', ...base(timers) }),
    ]);
    const got: Message[] = [];
    c.start((m) => got.push(m));
    l.start(() => undefined);
    frames.length = 0; // the init
    return { c, l, got, frames };
  }

  it('sends the same frames as send(), each link numbering its own fragments, and the peer decodes it', async () => {
    const propose = sampleFactoryPropose(1024); // about 109 kB: two fragments
    const encoded = preEncodeMessage(propose);
    expect(encoded.type).toBe('factory_propose');
    expect(encoded.bytes()).toEqual(encodeMessage(propose, { maxSize: 1 << 22 }));
    const [a, b] = [await spied(), await spied()];
    expect(a.l.send(propose)).toBe(true);
    expect(b.l.sendEncoded(encoded)).toBe(true);
    expect(b.frames.length).toBe(2);
    expect(b.frames).toEqual(a.frames);
    // The next message of a link is its fragment id 1; the bytes of the message are the same.
    expect(b.l.sendEncoded(encoded)).toBe(true);
    const ids = b.frames.map((f) => (decodeMessage(f) as Extract<Message, { type: 'fragment' }>).fragmentId);
    expect(ids).toEqual([0n, 0n, 1n, 1n]);
    await settle(80);
    expect(b.got).toEqual([propose, propose]);
    expect(a.got).toEqual([propose]);
  });

  it('sends what was checked: a later change to the message is not sent; forged or oversized throws, sending nothing', async () => {
    const key = secp256k1.getPublicKey(new Uint8Array(32).fill(7), true);
    const msg = {
      type: 'channel_ready' as const,
      channelId: new Uint8Array(32).fill(1),
      nextPerCommitmentPoint: key,
      verificationNonce: new Uint8Array([
        ...secp256k1.getPublicKey(new Uint8Array(32).fill(8), true),
        ...secp256k1.getPublicKey(new Uint8Array(32).fill(9), true),
      ]),
    };
    const encoded = preEncodeMessage(msg);
    const bytes = encoded.bytes();
    key[0] = 0x05; // no longer a point: a fresh encode would refuse it
    encoded.bytes()[1] = 0xff; // bytes() is a copy
    expect(() => encodeMessage(msg)).toThrow(WireError);
    const { l, got, frames } = await spied();
    expect(l.sendEncoded(encoded)).toBe(true);
    expect(frames).toEqual([bytes]);
    await settle();
    expect(got.map((m) => m.type)).toEqual(['channel_ready']);

    const forged = Object.create(Object.getPrototypeOf(encoded)) as typeof encoded;
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return WireError.isInstance(e) ? e.code : 'other';
      }
      return 'none';
    };
    expect(code(() => l.sendEncoded(forged))).toBe('WIRE_INVALID_ARGUMENT');
    const Ctor = encoded.constructor as new (...a: unknown[]) => unknown;
    expect(code(() => new Ctor(Symbol('EncodedMessage'), msg, bytes))).toBe('WIRE_INVALID_ARGUMENT');
    expect(code(() => preEncodeMessage({ ...msg, channelId: new Uint8Array(31) }))).toBe(
      'WIRE_INVALID_ARGUMENT',
    );
    const big = preEncodeMessage({ type: 'warning', text: 'x'.repeat(2 << 20) });
    expect(code(() => l.sendEncoded(big))).toBe('WIRE_MESSAGE_TOO_LARGE');
    expect(code(() => preEncodeMessage({ type: 'warning', text: 'xy' }, { maxSize: 5 }))).toBe(
      'WIRE_MESSAGE_TOO_LARGE',
    );
    const frag = preEncodeMessage({
      type: 'fragment',
      fragmentId: 0n,
      messageType: 1,
      part: 0,
      parts: 2,
      totalLength: 300,
      data: new Uint8Array(10),
    });
    expect(code(() => l.sendEncoded(frag))).toBe('WIRE_INVALID_ARGUMENT');
    expect(frames.length).toBe(1);
    await l.close();
    expect(l.sendEncoded(encoded)).toBe(false);
  });
});
