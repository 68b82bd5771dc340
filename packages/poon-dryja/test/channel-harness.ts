// Test harness for the channel state machine: two in-process peers (LSP and client) that exchange
// only serialised messages (JSON with bytes as hex and bigints as strings, so no object is shared),
// with a store per peer that acknowledges persists when told, and a record of every action.
import { sha256 } from '@noble/hashes/sha2.js';
import { expect } from 'vitest';
import {
  Channel,
  type ChannelAction,
  type ChannelEvent,
  type ChannelInput,
  type ChannelMessage,
  type ChannelOptions,
  type ChannelPolicy,
  type ChannelSecrets,
  type FundingOutpoint,
  type Side,
  type WatchRequest,
} from '../src/index.js';
import { CLIENT, LSP, makeConfig, p2tr } from './_channel.js';

/** JSON codec of channel messages: bytes as `{ $b: hex }`, bigints as `{ $n: decimal }`. */
export function encodeMessage(m: ChannelMessage): string {
  return JSON.stringify(m, (_k, v) => {
    if (typeof v === 'bigint') return { $n: v.toString() };
    if (v instanceof Uint8Array) return { $b: Buffer.from(v).toString('hex') };
    return v;
  });
}

export function decodeMessage(s: string): ChannelMessage {
  return JSON.parse(s, (_k, v) => {
    if (v !== null && typeof v === 'object' && typeof v.$n === 'string') return BigInt(v.$n);
    if (v !== null && typeof v === 'object' && typeof v.$b === 'string')
      return Uint8Array.from(Buffer.from(v.$b, 'hex'));
    return v;
  }) as ChannelMessage;
}

export const CAPACITY = 1_000_000n;

export function testPolicy(overrides: Partial<ChannelPolicy> = {}): ChannelPolicy {
  return {
    reserve: 10_000n,
    maxDustExposure: 10_000n,
    maxAcceptedHtlcs: 114,
    exitDelay: 100,
    pathTxs: 4,
    exitMargin: 10,
    htlcBudget: 72,
    dyingHeight: 4_000,
    ...overrides,
  };
}

export function secretsOf(side: Side): ChannelSecrets {
  const k = side === 'lsp' ? LSP : CLIENT;
  return { fundingSecret: k.funding, shachainSeed: k.shachainSeed, revocationBasepointSecret: k.revocation };
}

export const SWEEP = { lsp: p2tr('lsp sweep'), client: p2tr('client sweep') };

export const CHANNEL_ID = sha256(new TextEncoder().encode('channel id'));

export interface PeerRecord {
  readonly side: Side;
  channel: Channel;
  /** Serialised messages sent to this peer, not yet delivered. */
  readonly inbox: string[];
  /** Persist tokens issued and not yet acknowledged, in order. */
  readonly pendingPersists: number[];
  /** The last acknowledged state bytes. */
  durable: Uint8Array | undefined;
  /** Every persisted state by token. */
  readonly states: Map<number, Uint8Array>;
  readonly blobs: Map<string, Uint8Array>;
  readonly events: ChannelEvent[];
  readonly watches: WatchRequest[];
  /** Every message this peer sent. */
  readonly sent: ChannelMessage[];
  readonly options: ChannelOptions;
}

export interface PairOptions {
  readonly funding: FundingOutpoint;
  readonly policy?: ChannelPolicy;
  readonly clientBalanceMsat?: bigint;
  readonly feeRate?: number;
  readonly height?: number;
  readonly options?: Partial<Record<Side, Partial<ChannelOptions>>>;
  readonly channelTimeout?: number;
}

/** An LSP and a client channel wired through serialised messages. */
export class Pair {
  readonly peers: Record<Side, PeerRecord>;
  /** Errors reported by either channel as events (tests that expect none assert it is empty). */
  readonly errors: { side: Side; event: Extract<ChannelEvent, { type: 'error' }> }[] = [];

  constructor(readonly setup: PairOptions) {
    const config = makeConfig(
      setup.channelTimeout === undefined ? {} : { channelTimeout: setup.channelTimeout },
    );
    const make = (side: Side): PeerRecord => {
      const options: ChannelOptions = { sweepScript: SWEEP[side], ...(setup.options?.[side] ?? {}) };
      const { channel, actions } = Channel.open(
        {
          channelId: CHANNEL_ID,
          role: side,
          config,
          funding: setup.funding,
          policy: setup.policy ?? testPolicy(),
          initialClientBalanceMsat: setup.clientBalanceMsat ?? 300_000_000n,
          feeRate: setup.feeRate ?? 1_000,
          height: setup.height ?? 200,
        },
        secretsOf(side),
        options,
      );
      const peer: PeerRecord = {
        side,
        channel,
        inbox: [],
        pendingPersists: [],
        durable: undefined,
        states: new Map(),
        blobs: new Map(),
        events: [],
        watches: [],
        sent: [],
        options,
      };
      this.pendingOpen.push([side, actions]);
      return peer;
    };
    this.peers = { lsp: make('lsp'), client: make('client') };
    for (const [side, actions] of this.pendingOpen) this.apply(side, actions);
  }

  private pendingOpen: [Side, ChannelAction[]][] = [];

  get lsp(): Channel {
    return this.peers.lsp.channel;
  }
  get client(): Channel {
    return this.peers.client.channel;
  }

  other(side: Side): Side {
    return side === 'lsp' ? 'client' : 'lsp';
  }

  /** Carries out a channel's actions: messages go to the other peer's inbox, serialised. */
  apply(side: Side, actions: ChannelAction[]): ChannelAction[] {
    const peer = this.peers[side];
    for (const a of actions) {
      switch (a.kind) {
        case 'send':
          peer.sent.push(a.message);
          this.peers[this.other(side)].inbox.push(encodeMessage(a.message));
          break;
        case 'persist':
          peer.pendingPersists.push(a.token);
          peer.states.set(a.token, a.state);
          for (const b of a.blobs) peer.blobs.set(b.key, b.bytes);
          break;
        case 'watch':
          peer.watches.push(a.watch);
          break;
        case 'emit':
          peer.events.push(a.event);
          if (a.event.type === 'error') this.errors.push({ side, event: a.event });
          break;
      }
    }
    return actions;
  }

  /** `handle` plus {@link apply}. */
  do(side: Side, input: ChannelInput): ChannelAction[] {
    return this.apply(side, this.peers[side].channel.handle(input));
  }

  /** Acknowledges the oldest outstanding persist of `side`. Returns false if none. */
  ack(side: Side): boolean {
    const peer = this.peers[side];
    const id = peer.pendingPersists.shift();
    if (id === undefined) return false;
    peer.durable = peer.states.get(id);
    this.do(side, { type: 'persisted', token: id });
    return true;
  }

  /** Delivers the oldest message in `side`'s inbox. Returns false if none. */
  deliver(side: Side): boolean {
    const raw = this.peers[side].inbox.shift();
    if (raw === undefined) return false;
    this.do(side, { type: 'message', message: decodeMessage(raw) });
    return true;
  }

  /** Acknowledges every persist and delivers every message, until nothing moves. */
  drive(limit = 10_000): void {
    for (let i = 0; i < limit; i++) {
      const moved = this.ack('lsp') || this.ack('client') || this.deliver('lsp') || this.deliver('client');
      if (!moved) return;
    }
    throw new Error('the pair did not settle');
  }

  eventsOf(side: Side, type: ChannelEvent['type']): ChannelEvent[] {
    return this.peers[side].events.filter((e) => e.type === type);
  }

  /** Simulates a crash of `side`: restore from the last acknowledged state, drop its inbox. */
  crash(side: Side): void {
    const peer = this.peers[side];
    const durable = peer.durable;
    if (durable === undefined) throw new Error('nothing durable yet');
    peer.channel = Channel.restore(durable, secretsOf(side), peer.options);
    peer.pendingPersists.length = 0;
    peer.inbox.length = 0;
    // The other side sees the connection drop; what it had in flight to us is lost.
    this.do(this.other(side), { type: 'disconnected' });
    this.peers[this.other(side)].inbox.length = 0;
  }

  /** Reconnects both sides (after a crash or a disconnect). */
  reconnect(): void {
    for (const side of ['lsp', 'client'] as const) {
      this.peers[side].inbox.length = 0;
    }
    this.do('lsp', { type: 'connected' });
    this.do('client', { type: 'connected' });
  }
}

/** A payment hash and preimage by label. */
export function payment(label: string): { preimage: Uint8Array; hash: Uint8Array } {
  const preimage = sha256(new TextEncoder().encode(`payment ${label}`));
  return { preimage, hash: sha256(preimage) };
}

/** Both sides agree: commitment numbers and the specs of each holder's commitment. */
export function agreement(pair: Pair): { lsp: bigint; client: bigint } {
  const a = pair.lsp;
  const b = pair.client;
  if (
    a.localCommitmentNumber !== b.remoteCommitmentNumber ||
    b.localCommitmentNumber !== a.remoteCommitmentNumber
  )
    throw new Error(
      `commitment numbers disagree: lsp ${a.localCommitmentNumber}/${a.remoteCommitmentNumber}, client ${b.localCommitmentNumber}/${b.remoteCommitmentNumber}`,
    );
  const same = (x: unknown, y: unknown) =>
    JSON.stringify(x, (_k, v) =>
      typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v,
    ) ===
    JSON.stringify(y, (_k, v) =>
      typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v,
    );
  if (!same(a.localSpec, b.remoteSpec) || !same(b.localSpec, a.remoteSpec)) throw new Error('specs disagree');
  return { lsp: a.localSpec?.lspMsat ?? 0n, client: a.localSpec?.clientMsat ?? 0n };
}

export function event<T extends ChannelEvent['type']>(
  actions: ChannelAction[],
  type: T,
): Extract<ChannelEvent, { type: T }> {
  for (const a of actions)
    if (a.kind === 'emit' && a.event.type === type) return a.event as Extract<ChannelEvent, { type: T }>;
  throw new Error(`no ${type} event`);
}

/**
 * Runs a whole rebinding of `pair` to `funding` (brief §5.4), with a capacity change's extras if given.
 * `order`: `sign-first` (both sign the other's commitment, then both complete their own) or `advance`
 * (the advance messages' order: the LSP signs the client's commitment, the client completes its own
 * before it signs the LSP's, then the LSP completes).
 */
export function rebindPair(
  pair: Pair,
  funding: FundingOutpoint,
  extra: { liquidityFeeMsat?: bigint; reserve?: bigint; maxDustExposure?: bigint } = {},
  order: 'sign-first' | 'advance' = 'sign-first',
): void {
  const nonce = {
    lsp: event(pair.do('lsp', { type: 'rebind_prepare', funding, ...extra }), 'rebind_nonce').nonce,
    client: event(pair.do('client', { type: 'rebind_prepare', funding, ...extra }), 'rebind_nonce').nonce,
  };
  // Each partial is released once the new outpoint is durably tracked.
  const sign = (side: 'lsp' | 'client', peerNonce: Uint8Array) => {
    const before = pair.peers[side].events.length;
    pair.do(side, { type: 'rebind_sign', peerNonce });
    expect(pair.peers[side].events.slice(before).some((e) => e.type === 'rebind_partial')).toBe(false);
    pair.ack(side);
    return pair.peers[side].events.slice(before).find((e) => e.type === 'rebind_partial') as Extract<
      ChannelEvent,
      { type: 'rebind_partial' }
    >;
  };
  const complete = (side: 'lsp' | 'client', theirs: Extract<ChannelEvent, { type: 'rebind_partial' }>) => {
    const rebound = pair.eventsOf(side, 'rebound').length;
    pair.do(side, {
      type: 'rebind_complete',
      partialSig: theirs.partialSig,
      signingNonce: theirs.signingNonce,
    });
    pair.ack(side);
    expect(pair.eventsOf(side, 'rebound')).toHaveLength(rebound + 1);
  };
  if (order === 'advance') {
    complete('client', sign('lsp', nonce.client));
    complete('lsp', sign('client', nonce.lsp));
  } else {
    const partial = { lsp: sign('lsp', nonce.client), client: sign('client', nonce.lsp) };
    complete('lsp', partial.client);
    complete('client', partial.lsp);
  }
  for (const side of ['lsp', 'client'] as const) {
    pair.do(side, { type: 'rebind_activate' });
    pair.ack(side);
  }
}
