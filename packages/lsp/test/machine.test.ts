// The LSP machine on its own: registration (persist before the answer, refusals, a repeated
// registration answered again), commands, the close's messages answered with a warning, restore,
// events, policy bounds, and handle never throwing whatever it is given.
import { toHex } from '@superscalar/core';
import { Bip86Account, Keychain } from '@superscalar/keys';
import type { BlobRecord, Op } from '@superscalar/persist';
import { Wallet } from '@superscalar/wallet';
import { type FactoryRegister, RegistrationRefusal } from '@superscalar/wire';
import { describe, expect, test } from 'vitest';
import {
  type Action,
  DecodeError,
  decodeLspEvent,
  InvalidArgumentError,
  Lsp,
  type LspEvent,
  resolveLspPolicy,
} from '../src/index.js';

const kc = (i: number) => Keychain.fromSeed(new Uint8Array(32).fill(i), { network: 'regtest' });

function lsp(blobs: BlobRecord[] = []): Lsp {
  const { wallet } = Wallet.create({
    account: Bip86Account.fromSeed(new Uint8Array(32).fill(1), { network: 'regtest' }),
    birthHeight: 1,
  });
  return Lsp.restore({ keychain: kc(1), wallet, network: 'regtest', blobs });
}

function apply(blobs: Map<string, BlobRecord>, actions: readonly Action[]): LspEvent[] {
  const events: LspEvent[] = [];
  for (const a of actions)
    if (a.kind === 'persist')
      for (const op of a.ops as Op[]) {
        if (op.op === 'put' && op.table === 'blobs') blobs.set(op.row.key, op.row);
        else if (op.op === 'event') events.push(decodeLspEvent(op));
      }
  return events;
}

function register(client: number, index = 0, capacity = 20_000n, balance = 10_000n): FactoryRegister {
  const k = kc(client);
  return {
    type: 'factory_register',
    factoryKey: k.factoryKey(index).publicKey,
    closeScript: k.closeAddress(index).scriptPubKey,
    capacity,
    balance,
  };
}

describe('Lsp', () => {
  test('a registration is stored and journalled before the grant leaves; a repeat is answered again; a reused key is refused', () => {
    const blobs = new Map<string, BlobRecord>();
    const m = lsp();
    const peer = toHex(kc(2).nodeIdentity().publicKey);
    m.handle({ type: 'peer_connected', peer }, 0);
    const a = m.handle({ type: 'message', peer, message: register(2) }, 1);
    expect(a.map((x) => x.kind)).toEqual(['persist', 'send']);
    expect(apply(blobs, a).map((e) => e.kind)).toEqual(['RegistrationGranted']);
    expect(a[1]).toMatchObject({
      message: { type: 'factory_register_response', grant: { capacity: 20_000n } },
    });
    const again = m.handle({ type: 'message', peer, message: register(2) }, 2);
    expect(again.map((x) => x.kind)).toEqual(['send']);
    // The same key from another peer (or other terms) is a reused key.
    const other = toHex(kc(3).nodeIdentity().publicKey);
    m.handle({ type: 'peer_connected', peer: other }, 3);
    const stolen = m.handle({ type: 'message', peer: other, message: register(2) }, 4);
    expect(stolen[stolen.length - 1]).toMatchObject({
      message: { refusal: { reason: RegistrationRefusal.KEY_REUSED } },
    });
    // Out of policy.
    const big = m.handle({ type: 'message', peer: other, message: register(3, 0, 20_000n, 19_990n) }, 5);
    expect(big[big.length - 1]).toMatchObject({
      message: { refusal: { reason: RegistrationRefusal.AMOUNT_OUT_OF_RANGE } },
    });
    // Restored from its blobs, the LSP still holds the waiting registration.
    const r = lsp([...blobs.values()]);
    expect(r.registrations()).toEqual([
      expect.objectContaining({ peer, capacity: 20_000n, balance: 10_000n }),
    ]);
  });

  test('commands it cannot carry out, and close messages for a factory it does not hold, are refused without throwing', () => {
    const m = lsp();
    const peer = toHex(kc(2).nodeIdentity().publicKey);
    m.handle({ type: 'peer_connected', peer }, 0);
    const events = apply(new Map(), [
      ...m.handle({ type: 'form_factory' }, 1),
      ...m.handle({ type: 'close_factory', factoryId: new Uint8Array(32) }, 2),
      ...m.handle({ type: 'close_factory', factoryId: new Uint8Array(31) }, 2),
      ...m.handle({ type: 'bump_close', factoryId: new Uint8Array(32), feeRate: 2_000 }, 2),
    ]);
    expect(events.map((e) => [e.kind, (e as { code?: string }).code])).toEqual([
      ['CommandRefused', 'LSP_FUNDING_FAILED'],
      ['CommandRefused', 'LSP_INVALID_ARGUMENT'],
      ['CommandRefused', 'LSP_INVALID_ARGUMENT'],
      ['CommandRefused', 'LSP_INVALID_ARGUMENT'],
    ]);
    for (const message of [
      { type: 'close_nonce', factoryId: new Uint8Array(32), attempt: 1, pubnonce: new Uint8Array(66) },
      {
        type: 'close_propose',
        factoryId: new Uint8Array(32),
        attempt: 0,
        tipHeight: 1,
        closeFeeRate: 0,
        outputs: [],
      },
    ]) {
      const close = m.handle({ type: 'message', peer, message: message as never }, 3);
      expect(close).toEqual([
        expect.objectContaining({ kind: 'send', message: expect.objectContaining({ type: 'warning' }) }),
      ]);
    }
    // close_agg_nonce and close_done are the LSP's own messages: a client never sends them.
    const own = m.handle(
      {
        type: 'message',
        peer,
        message: {
          type: 'close_done',
          factoryId: new Uint8Array(32),
          attempt: 1,
          signature: new Uint8Array(64),
        },
      },
      4,
    );
    expect(own).toEqual([
      expect.objectContaining({
        kind: 'send',
        message: expect.objectContaining({
          type: 'warning',
          text: expect.stringContaining('not a message an LSP receives'),
        }),
      }),
    ]);
  });

  test('handle never throws', () => {
    const m = lsp();
    const peer = toHex(kc(2).nodeIdentity().publicKey);
    m.handle({ type: 'peer_connected', peer }, 0);
    const junk: unknown[] = [
      null,
      {},
      { type: 'message', peer, message: null },
      { type: 'message', peer: 'ff', message: register(2) },
      {
        type: 'message',
        peer,
        message: {
          type: 'factory_nonces',
          factoryId: new Uint8Array(32),
          attempt: 0,
          nonces: [],
          distributionNonces: [],
        },
      },
      { type: 'message', peer, message: { type: 'channel_ready', channelId: new Uint8Array(32) } },
      { type: 'message', peer, message: { type: 'factory_propose' } },
      { type: 'block_connected', height: 3, hash: 'cd'.repeat(32), txids: [] },
      { type: 'block_disconnected', height: 3, hash: 'cd'.repeat(32) },
      { type: 'tick' },
      { type: 'broadcast_result', txid: '00'.repeat(32), error: { code: 'x', reason: 'y' } },
    ];
    for (const j of junk) expect(() => m.handle(j as never, 1)).not.toThrow();
    expect(m.tip).toEqual({ height: 2, hash: '' });
  });

  test('restore refuses a damaged record with a typed error', () => {
    const bad: BlobRecord = { key: 'lsp/meta', version: 9, data: new Uint8Array(0), secret: false };
    expect(() => lsp([bad])).toThrow(DecodeError);
  });

  test('events decode, unknown kinds included', () => {
    expect(decodeLspEvent({ kind: 'Whatever', payload: new Uint8Array([1]) })).toMatchObject({
      kind: 'Unknown',
      name: 'Whatever',
    });
    expect(() =>
      decodeLspEvent({ kind: 'FactoryProposed', payload: new TextEncoder().encode('{"amount":1}') }),
    ).toThrow(DecodeError);
    // The close's events: bigints inside the balances list too.
    const closed = {
      factoryId: 'ab',
      txid: 'cd',
      height: 9,
      attempt: 2,
      balances: [{ clientIndex: 0, peer: '02', balance: '250', paid: '0' }],
      lspAmount: '90000',
      fee: '150',
    };
    expect(
      decodeLspEvent({ kind: 'FactoryClosed', payload: new TextEncoder().encode(JSON.stringify(closed)) }),
    ).toEqual({
      kind: 'FactoryClosed',
      ...closed,
      balances: [{ clientIndex: 0, peer: '02', balance: 250n, paid: 0n }],
      lspAmount: 90_000n,
      fee: 150n,
    });
    const bad = { ...closed, balances: [{ clientIndex: 0, peer: '02', balance: 250, paid: '0' }] };
    expect(() =>
      decodeLspEvent({ kind: 'FactoryClosed', payload: new TextEncoder().encode(JSON.stringify(bad)) }),
    ).toThrow(DecodeError);
  });

  test('policy defaults by network and bounds', () => {
    expect(resolveLspPolicy('regtest')).toMatchObject({
      maxSigningAttempts: 3,
      stepTimeoutMs: 30_000,
      fundingTimeout: 10,
      minimumDepth: 1,
    });
    expect(resolveLspPolicy('mainnet')).toMatchObject({
      fundingTimeout: 144,
      minimumDepth: 3,
      activeBlocks: 4320,
    });
    expect(() => resolveLspPolicy('regtest', { minClients: 5, maxClients: 2 })).toThrow(InvalidArgumentError);
    const p = resolveLspPolicy('regtest');
    expect([p.closeDeadlineMs, p.closeFeeRate]).toEqual([600_000, 1_000]);
    expect(p.acceptCloseRequest({ factoryId: 'ab', peer: '02', clientIndex: 0 })).toBe(true);
    expect(() => resolveLspPolicy('regtest', { acceptCloseRequest: 5 as never })).toThrow(
      InvalidArgumentError,
    );
  });
});
