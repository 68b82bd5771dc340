/**
 * The cooperative close as the LSP runs it (brief §6; roles memo §3 step 11), around the pure
 * {@link LspCloseSession}:
 *
 * 1. **Start**: the `close_factory` command, or a client's request (`close_propose`, attempt 0, no
 *    outputs) that the policy grants (`acceptCloseRequest`; only an open factory is considered). The
 *    factory turns `closing` (persisted), and its deadline is `closeDeadlineMs` away.
 * 2. **Quiescence**: every channel gets `quiesce` (poon-dryja sends `stfu` once nothing is pending;
 *    the client's channel answers with its own) — unless it holds HTLCs, which delay the close until
 *    they are gone; a disconnection ends quiescence and it is asked for again at the reconnection.
 * 3. **An attempt** starts when every channel is `quiescent` without HTLCs (every client connected):
 *    each client's balance in sats is read from its channel (`floor(msat / 1000)`, as its commitment
 *    pays it), the tip is the LSP's, the fee rate `max(policy.closeFeeRate, fee_rates.close, a bump's
 *    rate)`. The attempt number (never reused) and the attempt are persisted before `close_propose`
 *    leaves. Nonces, then partial signatures (the session); a bad partial is blamed and the next
 *    attempt follows at once (up to `maxSigningAttempts`); a client lost before its part is in ends
 *    the attempt (its secret nonce is gone) and a fresh one starts when it is back and quiescent.
 * 4. **Signed**: persisted, broadcast, `close_done` to every client (again to any that reconnects
 *    without it). `bump_close` re-signs at a higher rate as a new attempt over the same balances.
 * 5. **Closed**: `minimumDepth` confirmations of any attempt's txid → `FactoryClosed`, the factory and
 *    its channels closed.
 *
 * Nothing signed by the deadline → `CloseStalled { missing, htlcs }`; the factory stays as it is
 * (`closing`, step `stalled`: `close_factory` starts again; exits are a later release).
 *
 * @module
 */
import { cryptoRng, toHex } from '@superscalar/core';
import { SpendError } from '@superscalar/factory-tree';
import { P2TR_DUST } from '@superscalar/tx';
import type { CloseNonce, ClosePropose, ClosePsig, FactoryReestablish } from '@superscalar/wire';
import type { ChannelSlot, LspClose, LspCore, LspFactory } from './_core.js';
import { advanceOnClose } from './advance.js';
import { built, participantOf } from './ceremony.js';
import { drive } from './channels.js';
import { LspCloseSession, MAX_CLOSE_ATTEMPT } from './close.js';
import { isCloseRequest } from './closeRequest.js';
import { putClose } from './codec.js';
import {
  CloseBlameError,
  FactoryStateError,
  InvalidArgumentError,
  StaleMessageError,
  UnexpectedMessageError,
} from './errors.js';
import type { PeerId } from './io.js';

/** Why a client holds up the close, as {@link waiting} reports it. */
export type CloseWait = 'offline' | 'htlcs' | 'quiescing' | 'nonce' | 'psig';

/** The factory a command names. */
function commandFactory(core: LspCore, factoryId: unknown): LspFactory {
  if (!(factoryId instanceof Uint8Array) || factoryId.length !== 32)
    throw new InvalidArgumentError('command.factoryId', 'expected 32 bytes');
  const f = core.factory(factoryId);
  if (f === undefined) {
    const ended = core.finished.get(toHex(factoryId));
    if (ended !== undefined) throw new FactoryStateError(toHex(factoryId), ended, 'the factory has ended');
    throw new InvalidArgumentError('command.factoryId', `unknown factory ${toHex(factoryId)}`);
  }
  return f;
}

/** Persists the close record. */
function saveClose(core: LspCore, f: LspFactory): void {
  const c = f.close as LspClose;
  core.persist([
    putClose(f.idHex, {
      requestedBy: c.requestedBy,
      startedAt: c.startedAt,
      deadline: c.deadline,
      lastAttempt: c.lastAttempt,
      feeRate: c.feeRate,
      stalled: c.step === 'stalled',
      failures: c.failures,
      attempts: c.attempts,
      signed: c.signed,
      confirmed: c.confirmed,
    }),
  ]);
}

/** The `close_factory` command. */
export function onCloseFactory(core: LspCore, factoryId: Uint8Array): void {
  const f = commandFactory(core, factoryId);
  if (f.phase === 'closing' && f.close?.step === 'stalled') {
    restart(core, f, f.close.feeRate);
    return;
  }
  if (f.phase === 'closing')
    throw new FactoryStateError(f.idHex, f.phase, `a close is in progress (${f.close?.step})`);
  if (f.phase !== 'open')
    throw new FactoryStateError(f.idHex, f.phase, 'only an open factory (funding confirmed) closes');
  begin(core, f, null);
}

/** A client's `close_propose`: only its close request (attempt 0, no outputs) is a message an LSP takes. */
export function onClosePropose(core: LspCore, peer: PeerId, m: ClosePropose): void {
  const { f, client } = participantOf(core, peer, m.factoryId);
  if (!isCloseRequest(m))
    throw new UnexpectedMessageError(
      peer,
      'close_propose from a client must be a request (attempt 0, no outputs)',
      {
        factoryId: f.idHex,
      },
    );
  // A stalled close (its deadline passed with nothing signed) may be asked for again.
  const stalled = f.phase === 'closing' && f.close?.step === 'stalled';
  if (f.phase === 'closing' && !stalled)
    throw new StaleMessageError(peer, 'a close request while the factory is closing', { factoryId: f.idHex });
  let accepted = false;
  if (f.phase === 'open' || stalled) {
    try {
      accepted = core.policy.acceptCloseRequest({ factoryId: f.idHex, peer, clientIndex: client }) === true;
    } catch (e) {
      core.log('error', 'policy.acceptCloseRequest threw: the request is refused', { factoryId: f.idHex }, e);
    }
  }
  core.event({ kind: 'CloseRequested', factoryId: f.idHex, peer, accepted });
  core.log('info', 'close requested', { factoryId: f.idHex, peer, accepted, phase: f.phase });
  if (!accepted) {
    core.send(peer, {
      type: 'warning',
      factoryId: f.id,
      text:
        f.phase === 'open' || stalled
          ? "close request refused by the LSP's policy"
          : `close request refused: the factory is ${f.phase}, not open`,
    });
    return;
  }
  if (stalled) restart(core, f, null);
  else begin(core, f, peer);
}

function begin(core: LspCore, f: LspFactory, requestedBy: PeerId | null): void {
  advanceOnClose(core, f);
  f.phase = 'closing';
  f.close = {
    requestedBy,
    startedAt: core.now,
    deadline: core.now + core.policy.closeDeadlineMs,
    lastAttempt: 0,
    feeRate: null,
    step: 'quiescing',
    failures: 0,
    lastBlamed: null,
    attempts: [],
    signed: [],
    confirmed: null,
    session: null,
    rebroadcast: false,
  };
  core.saveFactory(f);
  saveClose(core, f);
  core.log('info', 'cooperative close started', { factoryId: f.idHex, requestedBy });
  for (const slot of f.channels) maybeQuiesce(core, f, slot);
  advance(core, f);
}

/** Starts the close again (after a stall) or a fee bump: quiescence, then a fresh attempt. */
function restart(core: LspCore, f: LspFactory, feeRate: number | null): void {
  const c = f.close as LspClose;
  c.step = 'quiescing';
  c.session = null;
  c.failures = 0;
  c.feeRate = feeRate;
  c.startedAt = core.now;
  c.deadline = core.now + core.policy.closeDeadlineMs;
  saveClose(core, f);
  for (const slot of f.channels) maybeQuiesce(core, f, slot);
  advance(core, f);
}

/** The `bump_close` command: a new attempt at `feeRate` over the signed close's balances. */
export function onBumpClose(core: LspCore, factoryId: Uint8Array, feeRate: number): void {
  const f = commandFactory(core, factoryId);
  if (!Number.isInteger(feeRate) || feeRate < 1 || feeRate > 100_000_000)
    throw new InvalidArgumentError('command.feeRate', 'expected sat/kvB, an integer in 1..100,000,000');
  const c = f.close;
  const last = c?.signed[c.signed.length - 1];
  if (f.phase !== 'closing' || c === null || last === undefined)
    throw new FactoryStateError(f.idHex, f.phase, 'no signed close to bump');
  if (c.step !== 'signed')
    throw new FactoryStateError(f.idHex, f.phase, `a bump is already in progress (${c.step})`);
  const signedRate = attemptOf(c, last.attempt).closeFeeRate;
  if (feeRate <= signedRate)
    throw new InvalidArgumentError(
      'command.feeRate',
      `must be above the signed close's ${signedRate} sat/kvB`,
    );
  core.log('info', 'fee bump of the close', { factoryId: f.idHex, from: signedRate, to: feeRate });
  restart(core, f, feeRate);
}

function attemptOf(c: LspClose, attempt: number) {
  const a = c.attempts.find((x) => x.attempt === attempt);
  if (a === undefined) throw new InvalidArgumentError('attempt', `no record of close attempt ${attempt}`);
  return a;
}

/** True when the channel holds HTLCs or updates in flight (the close waits for them). */
export function busy(slot: ChannelSlot): boolean {
  const ch = slot.channel;
  if (ch === null) return false;
  return !ch.isIdle || (ch.localSpec?.htlcs.length ?? 0) > 0 || (ch.remoteSpec?.htlcs.length ?? 0) > 0;
}

/** Asks `slot`'s channel for quiescence when its client is connected and it holds no HTLC. */
export function maybeQuiesce(core: LspCore, f: LspFactory, slot: ChannelSlot): void {
  const ch = slot.channel;
  if (f.phase !== 'closing' || slot.quiesced || ch === null || ch.phase !== 'normal') return;
  if (!core.connected.has(f.participants[slot.clientIndex] as string)) return;
  if ((ch.localSpec?.htlcs.length ?? 0) > 0 || (ch.remoteSpec?.htlcs.length ?? 0) > 0) return;
  slot.quiesced = true;
  drive(core, f, slot, { type: 'quiesce' });
}

/** After a channel's actions: ask for quiescence again if it may, and start an attempt when all are quiet. */
export function afterChannel(core: LspCore, f: LspFactory, slot: ChannelSlot): void {
  if (f.phase !== 'closing') return;
  maybeQuiesce(core, f, slot);
  advance(core, f);
}

/** Starts an attempt when every channel is quiescent without HTLCs (so every client is connected). */
export function advance(core: LspCore, f: LspFactory): void {
  const c = f.close;
  if (f.phase !== 'closing' || c === null || c.step !== 'quiescing') return;
  if (
    !f.channels.every(
      (s) => s.quiescent && !busy(s) && core.connected.has(f.participants[s.clientIndex] as string),
    )
  )
    return;
  startAttempt(core, f);
}

function startAttempt(core: LspCore, f: LspFactory): void {
  const c = f.close as LspClose;
  const attempt = c.lastAttempt + 1;
  if (attempt > MAX_CLOSE_ATTEMPT) {
    stall(core, f, 'no close attempt number left');
    return;
  }
  const tip = core.tipHeight;
  if (tip === null) return;
  const last = c.signed[c.signed.length - 1];
  // Once a close is signed its balances are final: a bump re-signs them, it never re-reads the channels.
  const balances =
    last !== undefined
      ? attemptOf(c, last.attempt).balances
      : f.channels.map((s) => (s.channel?.localSpec?.clientMsat ?? 0n) / 1000n);
  const closeFeeRate = Math.max(core.policy.closeFeeRate, core.feeRates?.close ?? 0, c.feeRate ?? 0);
  let session: LspCloseSession;
  try {
    session = new LspCloseSession({
      proposal: f.proposal,
      tree: built(f).tree,
      lspSecretKey: core.keys.factoryKey(f.index).secretKey,
      attempt,
      tipHeight: tip,
      closeFeeRate,
      balances,
      peers: f.participants,
      rng: core.deps.rng ?? cryptoRng,
    });
  } catch (e) {
    if (!SpendError.isInstance(e)) throw e;
    stall(core, f, `the close cannot be built at ${closeFeeRate} sat/kvB: ${(e as Error).message}`);
    return;
  }
  const { close } = session;
  c.lastAttempt = attempt;
  c.attempts.push({
    attempt,
    txid: close.txid,
    tipHeight: tip,
    closeFeeRate,
    balances: [...balances],
    fee: close.fee,
    lspAmount: close.lspAmount,
  });
  c.session = session;
  c.step = 'nonces';
  saveClose(core, f);
  core.event({
    kind: 'CloseProposed',
    factoryId: f.idHex,
    attempt,
    txid: close.txid,
    tipHeight: tip,
    closeFeeRate,
    fee: close.fee,
  });
  core.log('info', 'close proposed', { factoryId: f.idHex, attempt, txid: close.txid, closeFeeRate });
  const propose = session.propose();
  for (const peer of f.participants) core.send(peer, propose);
}

/** The factory and its close attempt in flight for a client's close message. */
function inFlight(core: LspCore, peer: PeerId, m: { factoryId: Uint8Array; type: string }) {
  const { f, client } = participantOf(core, peer, m.factoryId);
  const session = f.close?.session;
  if (f.phase !== 'closing' || session === null || session === undefined)
    throw new StaleMessageError(peer, `${m.type} with no close attempt in flight`, {
      factoryId: f.idHex,
      fault: 'old-attempt',
    });
  return { f, client, c: f.close as LspClose, session };
}

/** `close_nonce`. */
export function onCloseNonce(core: LspCore, peer: PeerId, m: CloseNonce): void {
  const { f, client, c, session } = inFlight(core, peer, m);
  let agg: ReturnType<LspCloseSession['receiveNonce']>;
  try {
    agg = session.receiveNonce(client, m);
  } catch (e) {
    if (!CloseBlameError.isInstance(e)) throw e;
    attemptFailed(core, f, e.blamed, e.message);
    return;
  }
  if (agg === null) return;
  c.step = 'psigs';
  for (const p of f.participants) if (core.connected.has(p)) core.send(p, agg);
}

/** `close_psig`: the last one completes the close — persisted, broadcast, then `close_done`. */
export function onClosePsig(core: LspCore, peer: PeerId, m: ClosePsig): void {
  const { f, client, c, session } = inFlight(core, peer, m);
  let result: ReturnType<LspCloseSession['receivePsig']>;
  try {
    result = session.receivePsig(client, m);
  } catch (e) {
    if (!CloseBlameError.isInstance(e)) throw e;
    attemptFailed(core, f, e.blamed, e.message);
    return;
  }
  if (result === null) return;
  c.signed.push({
    attempt: session.attempt,
    txid: result.txid,
    raw: result.raw,
    signature: result.signature,
  });
  c.session = null;
  c.step = 'signed';
  c.failures = 0;
  saveClose(core, f);
  core.event({ kind: 'CloseSigned', factoryId: f.idHex, attempt: session.attempt, txid: result.txid });
  core.log('info', 'close signed and broadcast', {
    factoryId: f.idHex,
    attempt: session.attempt,
    txid: result.txid,
  });
  core.out.broadcast(result.raw, result.txid, 'close');
  for (const p of f.participants) if (core.connected.has(p)) core.send(p, result.done);
}

/** A failed aggregation (blame): the next attempt at once, or a stall after `maxSigningAttempts`. */
function attemptFailed(core: LspCore, f: LspFactory, blamed: number | null, why: string): void {
  const c = f.close as LspClose;
  const attempt = c.session?.attempt ?? c.lastAttempt;
  c.session = null;
  c.failures++;
  c.lastBlamed = blamed;
  c.step = 'quiescing';
  core.event({
    kind: 'CloseAttemptFailed',
    factoryId: f.idHex,
    attempt,
    reason: 'blame',
    ...(blamed === null ? {} : { blamed }),
  });
  core.log('warn', 'close attempt failed', { factoryId: f.idHex, attempt, blamed, why });
  if (blamed === 0)
    core.event({ kind: 'InvariantViolated', invariant: 'close: the LSP partial', message: why });
  if (c.failures >= core.policy.maxSigningAttempts) {
    stall(core, f, `signing failed ${c.failures} times: ${why}`, blamed);
    return;
  }
  saveClose(core, f);
  advance(core, f);
}

/**
 * Stops the close or bump: nothing more is signed for it. With a signed close the factory waits for
 * it (step `signed`); otherwise the close is `stalled`.
 */
function stall(core: LspCore, f: LspFactory, reason: string, blamed: number | null = null): void {
  const c = f.close as LspClose;
  const w = waiting(core, f);
  const missing = w.filter((x) => x.reason !== 'htlcs').map((x) => x.peer);
  if (blamed !== null && blamed > 0) {
    const p = f.participants[blamed - 1] as string;
    if (!missing.includes(p)) missing.push(p);
  }
  const htlcs = w.filter((x) => x.reason === 'htlcs').map((x) => x.peer);
  c.session = null;
  c.step = c.signed.length > 0 ? 'signed' : 'stalled';
  c.feeRate = null;
  saveClose(core, f);
  core.event({ kind: 'CloseStalled', factoryId: f.idHex, attempt: c.lastAttempt, missing, htlcs, reason });
  core.log('warn', 'close stalled', { factoryId: f.idHex, missing, htlcs, reason });
}

/** Who holds the close up, and why (empty once signed or stalled). */
export function waiting(
  core: LspCore,
  f: LspFactory,
): { clientIndex: number; peer: string; reason: CloseWait }[] {
  const c = f.close;
  if (c === null || c.step === 'signed' || c.step === 'stalled') return [];
  const missing = c.session?.missing() ?? [];
  const out: { clientIndex: number; peer: string; reason: CloseWait }[] = [];
  f.channels.forEach((s, i) => {
    const peer = f.participants[i] as string;
    const reason: CloseWait | undefined = !core.connected.has(peer)
      ? 'offline'
      : busy(s)
        ? 'htlcs'
        : c.step === 'quiescing'
          ? s.quiescent
            ? undefined
            : 'quiescing'
          : missing.includes(i)
            ? c.step === 'nonces'
              ? 'nonce'
              : 'psig'
            : undefined;
    if (reason !== undefined) out.push({ clientIndex: i, peer, reason });
  });
  return out;
}

/** Timers: the deadline of a close or bump in progress. */
export function closeTick(core: LspCore, f: LspFactory): void {
  const c = f.close;
  if (f.phase !== 'closing' || c === null) return;
  if (c.step === 'signed' || c.step === 'stalled' || core.now < c.deadline) return;
  stall(core, f, `not signed within closeDeadlineMs (${core.policy.closeDeadlineMs} ms)`);
}

/** A client's connection is gone: the attempt in flight ends if its part was not in (its nonce is lost). */
export function closeOnDisconnect(core: LspCore, f: LspFactory, client: number): void {
  const c = f.close;
  const session = c?.session;
  if (f.phase !== 'closing' || c === null || session === null || session === undefined) return;
  if (session.phase === 'collecting-psigs' && !session.missing().includes(client)) return;
  c.session = null;
  c.step = 'quiescing';
  const peer = f.participants[client] as string;
  core.event({
    kind: 'CloseAttemptFailed',
    factoryId: f.idHex,
    attempt: session.attempt,
    reason: 'disconnected',
    peer,
  });
  core.log('info', 'close attempt abandoned: a client left before its part', {
    factoryId: f.idHex,
    attempt: session.attempt,
    peer,
  });
}

/** What the LSP's `factory_reestablish` says of a close. */
export function closeReestablishRecord(f: LspFactory): NonNullable<FactoryReestablish['close']> {
  const c = f.close as LspClose;
  const step = c.step === 'signed' ? 'signed' : c.step === 'psigs' ? 'agg_nonce' : ('proposed' as const);
  return { attempt: c.lastAttempt, step };
}

/** A client's `factory_reestablish` for a closing factory: channel back, quiescence, `close_done` again. */
export function closeReestablish(core: LspCore, f: LspFactory, client: number, m: FactoryReestablish): void {
  const c = f.close as LspClose;
  const peer = f.participants[client] as string;
  const slot = f.channels[client] as ChannelSlot;
  if (m.phase === 'aborted' || m.phase === 'closed') {
    core.log('info', `the client holds a closing factory as ${m.phase}`, { factoryId: f.idHex, peer });
    return;
  }
  if (slot.channel?.phase === 'normal') drive(core, f, slot, { type: 'connected' });
  maybeQuiesce(core, f, slot);
  const last = c.signed[c.signed.length - 1];
  const has =
    m.phase === 'close' &&
    m.close?.step === 'signed' &&
    last !== undefined &&
    m.close.attempt >= last.attempt;
  if (last !== undefined && !has)
    core.send(peer, {
      type: 'close_done',
      factoryId: f.id,
      attempt: last.attempt,
      signature: last.signature,
    });
}

/** Blocks: a close attempt's confirmation, then `FactoryClosed` at `minimumDepth`; a restored signed close is sent again. */
export function closeOnBlock(
  core: LspCore,
  f: LspFactory,
  height: number,
  inBlock: ReadonlySet<string>,
): void {
  const c = f.close;
  if (f.phase !== 'closing' || c === null) return;
  if (c.confirmed === null) {
    const hit = c.attempts.find((a) => inBlock.has(a.txid));
    if (hit !== undefined) {
      c.confirmed = { txid: hit.txid, height };
      saveClose(core, f);
      core.log('info', 'close confirmed', { factoryId: f.idHex, txid: hit.txid, height });
    }
  }
  const conf = c.confirmed;
  if (conf !== null && height - conf.height + 1 >= f.proposal.minimumDepth) {
    closed(core, f, conf.txid, conf.height);
    return;
  }
  if (c.rebroadcast && conf === null && !core.exits.replaying(height)) {
    c.rebroadcast = false;
    const last = c.signed[c.signed.length - 1];
    if (last !== undefined) core.out.broadcast(last.raw, last.txid, 'close');
  }
}

/** A reorganisation took the close's block away. */
export function closeOnBlockDisconnected(core: LspCore, f: LspFactory, height: number): void {
  const c = f.close;
  if (f.phase !== 'closing' || c?.confirmed == null || c.confirmed.height < height) return;
  core.log('warn', 'close un-confirmed by a reorganisation', { factoryId: f.idHex, height });
  c.confirmed = null;
  c.rebroadcast = c.signed.length > 0;
  saveClose(core, f);
}

function closed(core: LspCore, f: LspFactory, txid: string, height: number): void {
  const c = f.close as LspClose;
  // Attempts over the same balances, tip and rate build the same transaction: name the latest.
  const a = c.attempts.findLast((x) => x.txid === txid) as LspClose['attempts'][number];
  f.phase = 'closed';
  c.session = null;
  core.saveFactory(f);
  saveClose(core, f);
  core.event({
    kind: 'FactoryClosed',
    factoryId: f.idHex,
    txid,
    height,
    attempt: a.attempt,
    balances: a.balances.map((balance, clientIndex) => ({
      clientIndex,
      peer: f.participants[clientIndex] as string,
      balance,
      paid: balance >= P2TR_DUST ? balance : 0n,
    })),
    lspAmount: a.lspAmount,
    fee: a.fee,
  });
  core.log('info', 'factory closed', { factoryId: f.idHex, txid, height });
  core.finish(f);
}
