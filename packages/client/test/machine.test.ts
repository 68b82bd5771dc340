// The client machine on its own: registration before and after a connection, events in the journal,
// policy bounds, restore, and handle never throwing whatever it is given.
import { toHex } from '@superscalar/core';
import { Keychain } from '@superscalar/keys';
import type { BlobRecord, Op } from '@superscalar/persist';
import { describe, expect, test } from 'vitest';
import {
  type Action,
  Client,
  DecodeError,
  decodeClientEvent,
  InvalidArgumentError,
  resolveClientPolicy,
} from '../src/index.js';

const kc = (i: number) => Keychain.fromSeed(new Uint8Array(32).fill(i), { network: 'regtest' });
const LSP = toHex(kc(1).nodeIdentity().publicKey);

/** Applies the persist actions to a blob table (what a store would hold). */
function apply(blobs: Map<string, BlobRecord>, actions: readonly Action[]): Op[] {
  const events: Op[] = [];
  for (const a of actions)
    if (a.kind === 'persist')
      for (const op of a.ops) {
        if (op.op === 'put' && op.table === 'blobs') blobs.set(op.row.key, op.row);
        else if (op.op === 'delete' && op.table === 'blobs') blobs.delete((op.key as { key: string }).key);
        else if (op.op === 'event') events.push(op);
      }
  return events;
}

describe('Client', () => {
  test('a registration is persisted first, sent once connected, and a grant is journalled', () => {
    const blobs = new Map<string, BlobRecord>();
    const c = Client.create({ keychain: kc(2), network: 'regtest', lspNodeId: LSP });
    const a1 = c.handle({ type: 'register', capacity: 20_000n, balance: 10_000n }, 0);
    expect(a1.map((a) => a.kind)).toEqual(['persist']); // not connected: nothing sent yet
    apply(blobs, a1);
    const a2 = c.handle({ type: 'peer_connected', peer: LSP }, 1);
    expect(a2).toEqual([
      expect.objectContaining({
        kind: 'send',
        peer: LSP,
        message: expect.objectContaining({ type: 'factory_register' }),
      }),
    ]);
    const reg = c.registrations()[0];
    const a3 = c.handle(
      {
        type: 'message',
        peer: LSP,
        message: {
          type: 'factory_register_response',
          factoryKey: kc(2).factoryKey(0).publicKey,
          grant: {
            capacity: 20_000n,
            balance: 10_000n,
            feeBaseMsat: 1,
            feeProportionalMillionths: 2,
            htlcMinimumMsat: 1n,
            htlcMaximumMsat: 2n,
          },
        },
      },
      2,
    );
    const events = apply(blobs, a3).map((e) => decodeClientEvent(e as { kind: string; payload: Uint8Array }));
    expect(events).toEqual([
      expect.objectContaining({
        kind: 'RegistrationGranted',
        factoryKey: reg?.factoryKey,
        capacity: 20_000n,
      }),
    ]);
    // Restored from the blobs: the registration is granted, the next one takes a fresh index.
    const r = Client.restore({
      keychain: kc(2),
      network: 'regtest',
      lspNodeId: LSP,
      blobs: [...blobs.values()],
    });
    expect(r.registrations().map((x) => [x.factoryIndex, x.status])).toEqual([[0, 'granted']]);
    r.handle({ type: 'register', capacity: 20_000n, balance: 10_000n }, 3);
    expect(r.registrations().map((x) => x.factoryIndex)).toEqual([0, 1]);
    expect(new Set(r.registrations().map((x) => x.factoryKey)).size).toBe(2);
  });

  test('a bad command is refused with an event, never thrown', () => {
    const c = Client.create({ keychain: kc(3), network: 'regtest', lspNodeId: LSP });
    const actions = c.handle({ type: 'register', capacity: 10n, balance: 20n }, 0);
    const [ev] = apply(new Map(), actions).map((e) =>
      decodeClientEvent(e as { kind: string; payload: Uint8Array }),
    );
    expect(ev).toMatchObject({ kind: 'CommandRefused', code: 'CLIENT_INVALID_ARGUMENT' });
    // request_close of a factory it does not hold (or not 32 bytes) is a bad argument.
    for (const factoryId of [new Uint8Array(32), new Uint8Array(3)]) {
      const close = apply(new Map(), c.handle({ type: 'request_close', factoryId }, 0));
      expect(decodeClientEvent(close[0] as { kind: string; payload: Uint8Array })).toMatchObject({
        kind: 'CommandRefused',
        command: 'request_close',
        code: 'CLIENT_INVALID_ARGUMENT',
      });
    }
  });

  test('handle never throws: junk inputs and junk messages', () => {
    const c = Client.create({ keychain: kc(4), network: 'regtest', lspNodeId: LSP });
    c.handle({ type: 'peer_connected', peer: LSP }, 0);
    const junk: unknown[] = [
      null,
      {},
      { type: 'nope' },
      { type: 'message', peer: LSP, message: null },
      {
        type: 'message',
        peer: LSP,
        message: {
          type: 'factory_signed',
          factoryId: new Uint8Array(32),
          signatures: [],
          distributionSignatures: [],
        },
      },
      { type: 'message', peer: LSP, message: { type: 'factory_propose' } },
      { type: 'message', peer: LSP, message: { type: 'close_propose' } },
      { type: 'block_connected', height: 5, hash: 'ab'.repeat(32), txids: [] },
      { type: 'block_disconnected', height: 5, hash: 'ab'.repeat(32) },
    ];
    for (const j of junk) expect(() => c.handle(j as never, 1)).not.toThrow();
  });

  test("the close's events decode, bigints inside the balances list too", () => {
    const closed = {
      factoryId: 'ab',
      txid: 'cd',
      height: 9,
      attempt: 1,
      balances: [{ clientIndex: 1, balance: '10000', paid: '10000' }],
      lspAmount: '90000',
      fee: '150',
    };
    const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
    expect(decodeClientEvent({ kind: 'FactoryClosed', payload: enc(closed) })).toEqual({
      kind: 'FactoryClosed',
      ...closed,
      balances: [{ clientIndex: 1, balance: 10_000n, paid: 10_000n }],
      lspAmount: 90_000n,
      fee: 150n,
    });
    expect(
      decodeClientEvent({
        kind: 'CloseProposed',
        payload: enc({
          factoryId: 'ab',
          attempt: 1,
          txid: 'cd',
          balance: '1',
          ownOutput: '0',
          closeFeeRate: 1000,
          fee: '2',
        }),
      }),
    ).toMatchObject({ balance: 1n, ownOutput: 0n, fee: 2n });
    expect(() =>
      decodeClientEvent({ kind: 'FactoryClosed', payload: enc({ ...closed, balances: 3 }) }),
    ).toThrow(DecodeError);
  });

  test('restore refuses a damaged record with a typed error', () => {
    const bad: BlobRecord = {
      key: 'client/meta',
      version: 1,
      data: new TextEncoder().encode('{'),
      secret: false,
    };
    expect(() =>
      Client.restore({ keychain: kc(5), network: 'regtest', lspNodeId: LSP, blobs: [bad] }),
    ).toThrow(DecodeError);
    expect(() => Client.restore({ keychain: kc(5), network: 'regtest', lspNodeId: 'xx', blobs: [] })).toThrow(
      InvalidArgumentError,
    );
  });

  test('policy defaults and bounds', () => {
    expect(resolveClientPolicy()).toMatchObject({
      maxProposalAhead: 1,
      maxProposalBehind: 6,
      reRegister: true,
    });
    expect(() => resolveClientPolicy({ maxToSelfDelay: 0 })).toThrow(InvalidArgumentError);
    expect(resolveClientPolicy().maxCloseFeeRate).toBe(100_000);
    expect(() => resolveClientPolicy({ maxCloseFeeRate: 999 })).toThrow(InvalidArgumentError);
  });
});
