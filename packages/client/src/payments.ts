/**
 * Payments, client side (brief §7 "Invoices", issue 22): the client issues BOLT 11 invoices (its own
 * preimage, never given to anyone until it fulfils: flaw 7), settles the HTLCs that pay them, and pays
 * invoices of other clients of its LSP by adding an HTLC with a BOLT 4 hop payload to its channel.
 *
 * **Hop payloads.** The wire carries them as `update_add_htlc`'s TLV 12; inside the poon-dryja channel
 * they travel as the HTLC's `onion` bytes (`encodeHopPayload`), so they are persisted with the HTLC
 * itself and come back in `htlc_received` (the conversion happens at the channel's edge:
 * {@link toChannelMessage}, {@link toWireMessage}).
 *
 * **Failure reasons** are BOLT 4 `failuremsg`s in the clear (no onion, so no HMAC or obfuscation):
 * a big-endian u16 `failure_code` then its data; {@link decodeFailure} reads them.
 *
 * **Atomicity.** Decisions on a received HTLC (invoice paid, or failed) are persisted in the same
 * store update that makes the HTLC irrevocable (the channel's persist and the decision merge: nothing
 * is sent between them); the fulfil itself runs right after, and a {@link resumePayments} pass on
 * every tick re-issues what a disconnection or a restart reverted.
 *
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeInvoice, encodeInvoice, type Invoice, invoiceExpired, signInvoice } from '@superscalar/bolt11';
import { cryptoRng, equalBytesConstantTime, fromHex, toHex } from '@superscalar/core';
import type { BlobRecord, Op } from '@superscalar/persist';
import { type Channel, maxCltvExpiry, minCltvExpiryDelta } from '@superscalar/poon-dryja';
import {
  type ChannelMessage,
  decodeHopPayload,
  encodeHopPayload,
  type HopPayload,
  NEXT_HOP_PAYLOAD_TYPE,
  scidAliasOf,
} from '@superscalar/wire';
import type { ClientCore, ClientFactory } from './_core.js';
import { InvalidArgumentError, PaymentRefusedError } from './errors.js';

/** BOLT 4 failure codes used here (`PERM` 0x4000, `NODE` 0x2000, `UPDATE` 0x1000). */
export const FailureCode = {
  INVALID_ONION_PAYLOAD: 0x4016,
  TEMPORARY_NODE_FAILURE: 0x2002,
  INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS: 0x400f,
  FINAL_INCORRECT_CLTV_EXPIRY: 0x0012,
  FINAL_INCORRECT_HTLC_AMOUNT: 0x0013,
  UNKNOWN_NEXT_PEER: 0x400a,
  TEMPORARY_CHANNEL_FAILURE: 0x1007,
  PERMANENT_CHANNEL_FAILURE: 0x4008,
  FEE_INSUFFICIENT: 0x100c,
  INCORRECT_CLTV_EXPIRY: 0x100d,
  AMOUNT_BELOW_MINIMUM: 0x100b,
} as const;

/** A BOLT 4 `failuremsg`: u16 code, then `data`. */
export function encodeFailure(code: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(2 + data.length);
  out[0] = code >> 8;
  out[1] = code & 0xff;
  out.set(data, 2);
  return out;
}

/** The code and data of a BOLT 4 `failuremsg` (code 0 when shorter than 2 bytes). */
export function decodeFailure(reason: Uint8Array): { code: number; data: Uint8Array } {
  if (reason.length < 2) return { code: 0, data: Uint8Array.from(reason) };
  return { code: ((reason[0] as number) << 8) | (reason[1] as number), data: reason.slice(2) };
}

function u64u32(a: bigint, b: number): Uint8Array {
  const out = new Uint8Array(12);
  const v = new DataView(out.buffer);
  v.setBigUint64(0, a);
  v.setUint32(8, b);
  return out;
}

/** An invoice the client issued (sealed in the store: it holds the preimage). */
interface StoredInvoice {
  readonly paymentHash: string;
  readonly preimage: Uint8Array;
  readonly paymentSecret: Uint8Array;
  readonly amountMsat: bigint;
  readonly timestamp: number;
  readonly expiry: number;
  readonly minFinalCltvExpiryDelta: number;
  readonly invoice: string;
  status: 'open' | 'paid';
  /** The HTLC that paid it (`<channel id hex>/<htlc id>`): only that one is fulfilled after a restart. */
  paidBy?: string;
}

/** A payment the client makes. */
interface StoredPayment {
  readonly paymentHash: string;
  readonly channelId: string;
  readonly amountMsat: bigint;
  readonly feeMsat: bigint;
  readonly cltvExpiry: number;
  readonly hop: Uint8Array;
  status: 'pending' | 'sent' | 'failed';
}

const INV_PREFIX = 'client/inv/';
const PAY_PREFIX = 'client/pay/';
const enc = new TextEncoder();
const dec = new TextDecoder();

/** The payments state of a client (memory, rebuilt from the store). */
export class ClientPayments {
  readonly invoices = new Map<string, StoredInvoice>();
  readonly payments = new Map<string, StoredPayment>();
  /** channel id hex → our HTLC id → payment hash (ids can be reused after a reverted add). */
  readonly offered = new Map<string, Map<bigint, string>>();
}

function putInvoice(i: StoredInvoice): Op {
  const json = JSON.stringify({
    ...i,
    preimage: toHex(i.preimage),
    paymentSecret: toHex(i.paymentSecret),
    amountMsat: i.amountMsat.toString(),
  });
  return {
    op: 'put',
    table: 'blobs',
    row: { key: INV_PREFIX + i.paymentHash, version: 1, data: enc.encode(json), secret: true },
  };
}

function putPayment(p: StoredPayment): Op {
  const json = JSON.stringify({
    ...p,
    hop: toHex(p.hop),
    amountMsat: p.amountMsat.toString(),
    feeMsat: p.feeMsat.toString(),
  });
  return {
    op: 'put',
    table: 'blobs',
    row: { key: PAY_PREFIX + p.paymentHash, version: 1, data: enc.encode(json), secret: false },
  };
}

/** Rebuilds the payments state from the store's blobs. */
export function restorePayments(core: ClientCore, blobs: Iterable<BlobRecord>): void {
  for (const b of blobs) {
    if (b.key.startsWith(INV_PREFIX)) {
      const o = JSON.parse(dec.decode(b.data));
      core.payments.invoices.set(o.paymentHash, {
        ...o,
        preimage: fromHex(o.preimage),
        paymentSecret: fromHex(o.paymentSecret),
        amountMsat: BigInt(o.amountMsat),
      });
    } else if (b.key.startsWith(PAY_PREFIX)) {
      const o = JSON.parse(dec.decode(b.data));
      core.payments.payments.set(o.paymentHash, {
        ...o,
        hop: fromHex(o.hop),
        amountMsat: BigInt(o.amountMsat),
        feeMsat: BigInt(o.feeMsat),
      });
    }
  }
}

/** The channel's deadline figures (every party derives them from the proposal's shape). */
function deadlines(ch: Channel) {
  const s = ch.state;
  const delta = minCltvExpiryDelta({
    exitDelay: s.policy.exitDelay,
    toSelfDelay: s.config.toSelfDelay,
    htlcBudget: s.policy.htlcBudget,
  });
  const max = maxCltvExpiry({
    exitDelay: s.policy.exitDelay,
    pathTxs: s.policy.pathTxs,
    exitMargin: s.policy.exitMargin,
    channelTimeout: s.config.channelTimeout,
  });
  return { delta, max, dyingHeight: s.policy.dyingHeight };
}

/** The factory whose channel pays or receives (the named one, else the first open one with a normal channel). */
function payingFactory(core: ClientCore, factoryId: Uint8Array | undefined, command: string): ClientFactory {
  for (const f of core.factories.values()) {
    if (factoryId !== undefined && f.idHex !== toHex(factoryId)) continue;
    if (f.channel?.phase === 'normal' && (f.phase === 'open' || f.phase === 'funded')) return f;
  }
  throw new PaymentRefusedError(command, 'no-channel', 'no open factory with a normal channel');
}

/** `create_invoice`: a preimage, a payment secret and a signed BOLT 11 invoice through the LSP. */
export function createInvoice(
  core: ClientCore,
  cmd: { amountMsat: bigint; description: string; expirySeconds?: number; factoryId?: Uint8Array },
): void {
  if (typeof cmd.amountMsat !== 'bigint' || cmd.amountMsat <= 0n)
    throw new InvalidArgumentError('input.amountMsat', 'expected a positive bigint');
  if (typeof cmd.description !== 'string')
    throw new InvalidArgumentError('input.description', 'expected a string');
  const expiry = cmd.expirySeconds ?? 3600;
  if (!Number.isInteger(expiry) || expiry < 1 || expiry > 31_536_000)
    throw new InvalidArgumentError('input.expirySeconds', 'expected 1..31,536,000');
  const f = payingFactory(core, cmd.factoryId, 'create_invoice');
  const { delta } = deadlines(f.channel as Channel);
  const rng = core.deps.rng ?? cryptoRng;
  const preimage = rng(32);
  const paymentSecret = rng(32);
  const paymentHash = sha256(preimage);
  const terms = feeTerms(core, f);
  const timestamp = Math.floor(core.now / 1000);
  const signed = signInvoice(
    {
      network: core.deps.network,
      amountMsat: cmd.amountMsat,
      timestamp,
      fields: [
        { type: 'paymentHash', value: paymentHash },
        { type: 'paymentSecret', value: paymentSecret },
        { type: 'description', value: cmd.description },
        { type: 'expiry', value: expiry },
        { type: 'minFinalCltvExpiryDelta', value: delta },
        {
          type: 'routeHint',
          value: [
            {
              pubkey: fromHex(core.lsp),
              shortChannelId: scidAliasOf(f.channelId),
              feeBaseMsat: terms.feeBaseMsat,
              feeProportionalMillionths: terms.feeProportionalMillionths,
              cltvExpiryDelta: delta,
            },
          ],
        },
      ],
    },
    core.keys.nodeIdentity().secretKey,
  );
  const text = encodeInvoice(signed);
  const inv: StoredInvoice = {
    paymentHash: toHex(paymentHash),
    preimage,
    paymentSecret,
    amountMsat: cmd.amountMsat,
    timestamp,
    expiry,
    minFinalCltvExpiryDelta: delta,
    invoice: text,
    status: 'open',
  };
  core.payments.invoices.set(inv.paymentHash, inv);
  core.persist([putInvoice(inv)]);
  core.event({
    kind: 'InvoiceCreated',
    paymentHash: inv.paymentHash,
    amountMsat: cmd.amountMsat,
    invoice: text,
    factoryId: f.idHex,
    channelId: f.channelIdHex,
  });
}

/** The routing terms the LSP granted this factory's registration (its defaults when not recorded). */
function feeTerms(core: ClientCore, f: ClientFactory) {
  const g = core.registrations.get(f.factoryIndex)?.granted;
  return {
    feeBaseMsat: g?.feeBaseMsat ?? 1000,
    feeProportionalMillionths: g?.feeProportionalMillionths ?? 100,
  };
}

/** `pay_invoice`: checks the invoice and the routable window, then adds the HTLC and commits. */
export function payInvoice(
  core: ClientCore,
  cmd: { invoice: string; factoryId?: Uint8Array },
  drive: (f: ClientFactory, input: Parameters<Channel['handle']>[0]) => void,
): void {
  let inv: Invoice;
  try {
    inv = decodeInvoice(cmd.invoice);
  } catch (cause) {
    throw new PaymentRefusedError('pay_invoice', 'invalid-invoice', (cause as Error).message, { cause });
  }
  if (inv.network !== core.deps.network)
    throw new PaymentRefusedError('pay_invoice', 'network', `an invoice for ${inv.network}`);
  if (invoiceExpired(inv, Math.floor(core.now / 1000)))
    throw new PaymentRefusedError('pay_invoice', 'expired', 'the invoice has expired');
  if (inv.amountMsat === undefined)
    throw new PaymentRefusedError('pay_invoice', 'amount', 'an invoice without an amount');
  if (toHex(inv.payeeNodeId) === core.nodeId)
    throw new PaymentRefusedError('pay_invoice', 'self', 'the invoice is our own');
  const hash = toHex(inv.paymentHash);
  const known = core.payments.payments.get(hash);
  if (known !== undefined && known.status !== 'failed')
    throw new PaymentRefusedError('pay_invoice', 'duplicate', `payment ${hash} is ${known.status}`);
  const hop1 = inv.routeHints.find(
    (r) => r.length === 1 && toHex(r[0]?.pubkey as Uint8Array) === core.lsp,
  )?.[0];
  if (hop1 === undefined)
    throw new PaymentRefusedError('pay_invoice', 'route', 'no route hint through this client’s LSP');
  const f = payingFactory(core, cmd.factoryId, 'pay_invoice');
  const ch = f.channel as Channel;
  const tip = core.tipHeight;
  if (tip === null) throw new PaymentRefusedError('pay_invoice', 'no-tip', 'the chain tip is unknown');
  const d = deadlines(ch);
  if (tip >= d.dyingHeight)
    throw new PaymentRefusedError('pay_invoice', 'dying', `the factory is dying since ${d.dyingHeight}`);
  const finalCltv = tip + 1 + inv.minFinalCltvExpiryDelta;
  const cltv = finalCltv + hop1.cltvExpiryDelta;
  if (cltv > d.max)
    throw new PaymentRefusedError(
      'pay_invoice',
      'window',
      `cltv_expiry ${cltv} exceeds T_m − exitDelay − pathTxs − exitMargin = ${d.max} (brief §7 routable window)`,
    );
  const fee =
    BigInt(hop1.feeBaseMsat) + (inv.amountMsat * BigInt(hop1.feeProportionalMillionths)) / 1_000_000n;
  const final: HopPayload = {
    amtToForward: inv.amountMsat,
    outgoingCltvValue: finalCltv,
    paymentData: { paymentSecret: inv.paymentSecret, totalMsat: inv.amountMsat },
  };
  const hop = encodeHopPayload({
    amtToForward: inv.amountMsat,
    outgoingCltvValue: finalCltv,
    shortChannelId: hop1.shortChannelId,
    unknownRecords: [{ type: NEXT_HOP_PAYLOAD_TYPE, value: encodeHopPayload(final) }],
  });
  const p: StoredPayment = {
    paymentHash: hash,
    channelId: f.channelIdHex,
    amountMsat: inv.amountMsat + fee,
    feeMsat: fee,
    cltvExpiry: cltv,
    hop,
    status: 'pending',
  };
  // Throws (nothing changed) when the channel refuses: affordability, limits, expiry.
  addPayment(core, f, p, drive, true);
  core.payments.payments.set(hash, p);
  core.persist([putPayment(p)]);
  drive(f, { type: 'commit' });
}

function addPayment(
  core: ClientCore,
  f: ClientFactory,
  p: StoredPayment,
  drive: (f: ClientFactory, input: Parameters<Channel['handle']>[0]) => void,
  strict: boolean,
): void {
  const ch = f.channel as Channel;
  try {
    drive(f, {
      type: 'add_htlc',
      amountMsat: p.amountMsat,
      paymentHash: fromHex(p.paymentHash),
      cltvExpiry: p.cltvExpiry,
      onion: p.hop,
    });
  } catch (cause) {
    if (strict) throw new PaymentRefusedError('pay_invoice', 'channel', (cause as Error).message, { cause });
  }
  if (strict && !offeredHashes(ch).has(p.paymentHash))
    throw new PaymentRefusedError('pay_invoice', 'channel', 'the channel refused the HTLC (see the log)');
  core.log('debug', 'payment HTLC added', { paymentHash: p.paymentHash });
}

/** Payment hashes of HTLCs we offered that the channel holds anywhere (committed or pending). */
function offeredHashes(ch: Channel): Set<string> {
  return new Set(ch.htlcs(ch.role).map((h) => toHex(h.paymentHash)));
}

/** A channel event that concerns payments; persists decisions only (the channel work is returned). */
export function onPaymentEvent(
  core: ClientCore,
  f: ClientFactory,
  e:
    | { type: 'htlc_offered'; id: bigint; paymentHash: Uint8Array }
    | {
        type: 'htlc_received';
        id: bigint;
        amountMsat: bigint;
        paymentHash: Uint8Array;
        cltvExpiry: number;
        onion: Uint8Array;
      }
    | { type: 'htlc_fulfilled'; id: bigint; preimage: Uint8Array }
    | { type: 'htlc_failed'; id: bigint; reason: Uint8Array },
): Parameters<Channel['handle']>[0][] {
  const book = core.payments;
  switch (e.type) {
    case 'htlc_offered': {
      const m = book.offered.get(f.channelIdHex) ?? new Map<bigint, string>();
      book.offered.set(f.channelIdHex, m);
      m.set(e.id, toHex(e.paymentHash));
      return [];
    }
    case 'htlc_fulfilled': {
      const hash = toHex(sha256(e.preimage));
      const p = book.payments.get(hash);
      if (p === undefined || p.status !== 'pending') return [];
      p.status = 'sent';
      core.persist([putPayment(p)]);
      core.event({
        kind: 'PaymentSent',
        paymentHash: hash,
        preimage: toHex(e.preimage),
        amountMsat: p.amountMsat - p.feeMsat,
        feeMsat: p.feeMsat,
      });
      return [];
    }
    case 'htlc_failed': {
      const hash = book.offered.get(f.channelIdHex)?.get(e.id);
      const p = hash === undefined ? undefined : book.payments.get(hash);
      if (p === undefined || p.status !== 'pending') return [];
      p.status = 'failed';
      core.persist([putPayment(p)]);
      const { code } = decodeFailure(e.reason);
      core.event({ kind: 'PaymentFailed', paymentHash: p.paymentHash, code, reason: toHex(e.reason) });
      return [];
    }
    case 'htlc_received':
      return receive(core, f, e);
  }
}

function receive(
  core: ClientCore,
  f: ClientFactory,
  e: { id: bigint; amountMsat: bigint; paymentHash: Uint8Array; cltvExpiry: number; onion: Uint8Array },
): Parameters<Channel['handle']>[0][] {
  const hash = toHex(e.paymentHash);
  const tip = core.tipHeight ?? 0;
  const fail = (code: number, data?: Uint8Array, why = '') => {
    core.log('info', 'incoming HTLC refused', { paymentHash: hash, code, why });
    return [{ type: 'fail_htlc' as const, id: e.id, reason: encodeFailure(code, data) }];
  };
  const details = () => u64u32(e.amountMsat, tip);
  let hop: HopPayload;
  try {
    hop = decodeHopPayload(e.onion);
  } catch {
    return fail(FailureCode.INVALID_ONION_PAYLOAD, undefined, 'no hop payload');
  }
  const inv = core.payments.invoices.get(hash);
  if (inv === undefined || inv.status !== 'open')
    return fail(FailureCode.INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, details(), 'unknown or paid invoice');
  const pd = hop.paymentData;
  if (pd === undefined || !equalBytesConstantTime(pd.paymentSecret, inv.paymentSecret))
    return fail(FailureCode.INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, details(), 'wrong payment secret');
  if (e.amountMsat < hop.amtToForward)
    return fail(FailureCode.FINAL_INCORRECT_HTLC_AMOUNT, u64u32(e.amountMsat, 0).slice(0, 8), 'amount');
  if (e.amountMsat < inv.amountMsat || pd.totalMsat < inv.amountMsat || pd.totalMsat > e.amountMsat)
    return fail(FailureCode.INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, details(), 'amount below the invoice');
  if (e.cltvExpiry < hop.outgoingCltvValue) {
    const d = new Uint8Array(4);
    new DataView(d.buffer).setUint32(0, e.cltvExpiry);
    return fail(FailureCode.FINAL_INCORRECT_CLTV_EXPIRY, d, 'cltv below outgoing_cltv_value');
  }
  if (e.cltvExpiry < tip + inv.minFinalCltvExpiryDelta)
    return fail(FailureCode.INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, details(), 'cltv too soon');
  if (invoiceExpired({ timestamp: inv.timestamp, expiry: inv.expiry }, Math.floor(core.now / 1000)))
    return fail(FailureCode.INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, details(), 'invoice expired');
  inv.status = 'paid';
  inv.paidBy = `${f.channelIdHex}/${e.id}`;
  core.persist([putInvoice(inv)]);
  core.event({ kind: 'PaymentReceived', paymentHash: hash, amountMsat: e.amountMsat });
  return [{ type: 'fulfill_htlc', id: e.id, preimage: inv.preimage }];
}

/**
 * Re-issues what a disconnection or restart reverted: fulfils of paid invoices whose HTLC is still
 * held (invoices are persisted with their decision, so a restart between receiving and fulfilling
 * still fulfils), fails of other irrevocably received HTLCs — an invoice the payee no longer knows, or
 * one never decided that has expired since: BOLT 4 `incorrect_or_unknown_payment_details` (0x400f)
 * with the amount and the height — and adds of pending payments the channel lost.
 */
export function resumePayments(
  core: ClientCore,
  drive: (f: ClientFactory, input: Parameters<Channel['handle']>[0]) => void,
): void {
  for (const f of core.factories.values()) {
    const ch = f.channel;
    if (ch === null || ch.phase !== 'normal') continue;
    const lc = ch.localSpec?.htlcs ?? [];
    // In the counterparty's signed commitment too (the channel refuses what is not irrevocable yet).
    const rc = new Set((ch.remoteSpec?.htlcs ?? []).map((h) => `${h.offeredBy}:${h.id}`));
    const tip = core.tipHeight ?? 0;
    let touched = false;
    for (const h of lc) {
      if (h.offeredBy === ch.role || !rc.has(`${h.offeredBy}:${h.id}`)) continue;
      const hash = toHex(h.paymentHash);
      const inv = core.payments.invoices.get(hash);
      // The channel refuses (and `drive` ignores) what is already settled or not yet irrevocable.
      // The HTLC that paid the invoice (records of older versions name none: any of its hash).
      const payer = inv?.paidBy;
      if (inv?.status === 'paid' && (payer === undefined || payer === `${f.channelIdHex}/${h.id}`))
        drive(f, { type: 'fulfill_htlc', id: h.id, preimage: inv.preimage });
      else {
        core.log('info', 'held HTLC failed back: unknown, undecided or already paid invoice', {
          paymentHash: hash,
          known: inv !== undefined,
        });
        drive(f, {
          type: 'fail_htlc',
          id: h.id,
          reason: encodeFailure(FailureCode.INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, u64u32(h.amountMsat, tip)),
        });
      }
      touched = true;
    }
    if (touched) drive(f, { type: 'commit' });
    const held = offeredHashes(ch);
    let added = false;
    for (const p of core.payments.payments.values()) {
      if (p.status !== 'pending' || p.channelId !== f.channelIdHex || held.has(p.paymentHash)) continue;
      addPayment(core, f, p, drive, false);
      added = true;
    }
    if (added) drive(f, { type: 'commit' });
  }
}

/** `update_add_htlc` from the wire → the channel's value (hop payload as the HTLC's onion bytes). */
export function toChannelMessage(m: ChannelMessage): ChannelMessage {
  if (m.type !== 'update_add_htlc' || m.hopPayload === undefined) return m;
  const { hopPayload, ...rest } = m;
  return { ...rest, onion: encodeHopPayload(hopPayload) };
}

/** The channel's `update_add_htlc` → the wire's (onion bytes that are a hop payload go to TLV 12). */
export function toWireMessage<M extends { type: string }>(m: M): M {
  if (m.type !== 'update_add_htlc') return m;
  const u = m as unknown as { onion: Uint8Array };
  if (u.onion.length === 0 || u.onion.length === 1366) return m;
  return { ...m, onion: new Uint8Array(0), hopPayload: decodeHopPayload(u.onion) };
}
