/**
 * The cooperative close as the client runs it (brief §6; roles memo §3 step 11), around the pure
 * {@link ClientCloseSession}:
 *
 * - `request_close` sends the LSP a close request (`close_propose`, attempt 0, no outputs; on the next
 *   connection if it is not connected); the LSP decides.
 * - The LSP quiesces every channel first: the client's channel answers `stfu` by itself and reports
 *   `quiescent`.
 * - On `close_propose` (attempt ≥ 1) the client checks it with **its own balance, read from its own
 *   channel** (`floor(clientMsat / 1000)`, as its commitment pays it), and **its own close script**,
 *   from its keychain. Its channel must be quiescent without HTLCs. A refused close (brief §12 flaw 6:
 *   an LSP output carrying the client's amount is no payment to the client) signs nothing: a
 *   `warning` to the LSP, `CloseRefused`, the factory stays open. Otherwise it persists that it agreed
 *   to this attempt (the LSP's message and its balance — never the secret nonce), then sends
 *   `close_nonce`; `close_agg_nonce` → `close_psig`.
 * - `close_done` is checked against the close it agreed to (rebuilt from the stored message after a
 *   restart) and the funding output key, then the signed close is persisted (`CloseSigned`).
 * - Any agreed attempt's txid with `minimumDepth` confirmations closes the factory (`FactoryClosed`).
 *
 * A disconnection drops the attempt in flight (its secret nonce); the LSP proposes a fresh attempt.
 * Once it agreed to an attempt, the client's factory is `closing` for good: the LSP could complete
 * that attempt, so the channel must not move again (this release adds no payments; the payments
 * release must keep this).
 *
 * @module
 */
import { cryptoRng, toHex } from '@superscalar/core';
import { type CooperativeClose, signedCloseBytes } from '@superscalar/factory-tree';
import { schnorrVerify } from '@superscalar/musig2';
import type { CloseAggNonce, CloseDone, ClosePropose } from '@superscalar/wire';
import { rebuild } from './_closeCheck.js';
import type { AgreedClose, ClientClose, ClientCore, ClientFactory } from './_core.js';
import { factoryOf } from './ceremony.js';
import { ClientCloseSession } from './close.js';
import { closeRequest } from './closeRequest.js';
import { putAgreedClose, putClose } from './codec.js';
import {
  CloseRefusedError,
  CloseSignatureError,
  FactoryStateError,
  InvalidArgumentError,
  StaleMessageError,
  UnexpectedMessageError,
} from './errors.js';

/** Phases in which the client takes a close proposal (its channel holds commitment 0 both ways). */
const CLOSABLE = new Set(['funded', 'open', 'closing']);

function closeOf(f: ClientFactory): ClientClose {
  if (f.close === null) f.close = { agreed: new Map(), signed: null, confirmed: null, session: null };
  return f.close;
}

function saveClose(core: ClientCore, f: ClientFactory): void {
  const c = f.close as ClientClose;
  core.persist([putClose(f.idHex, { signed: c.signed, confirmed: c.confirmed })]);
}

/** The `request_close` command. */
export function onRequestClose(core: ClientCore, factoryId: unknown): void {
  if (!(factoryId instanceof Uint8Array) || factoryId.length !== 32)
    throw new InvalidArgumentError('command.factoryId', 'expected 32 bytes');
  const idHex = toHex(factoryId);
  const f = core.factories.get(idHex);
  if (f === undefined) {
    const ended = core.finished.get(idHex);
    if (ended !== undefined) throw new FactoryStateError(idHex, ended, 'the factory has ended');
    throw new InvalidArgumentError('command.factoryId', `unknown factory ${idHex}`);
  }
  if (f.phase !== 'open') throw new FactoryStateError(idHex, f.phase, 'only an open factory can be closed');
  if (core.connected) sendCloseRequest(core, f);
  else f.closeRequested = true;
  core.log('info', 'close requested', { factoryId: idHex, sent: core.connected });
}

/** Sends the close request (`close_propose`, attempt 0) with the client's tip. */
export function sendCloseRequest(core: ClientCore, f: ClientFactory): void {
  f.closeRequested = false;
  core.send(closeRequest(f.id, core.tipHeight ?? 0));
}

/** `close_propose` from the LSP: check with its own balance and close script, agree (persist), then `close_nonce`. */
export function onClosePropose(core: ClientCore, peer: string, m: ClosePropose): void {
  const f = factoryOf(core, peer, m.factoryId);
  if (!CLOSABLE.has(f.phase))
    throw new UnexpectedMessageError(peer, `close_propose in phase ${f.phase}`, { factoryId: f.idHex });
  const c = closeOf(f);
  const attempt = typeof m.attempt === 'number' ? m.attempt : -1;
  const latest = Math.max(0, c.session?.attempt ?? 0, ...c.agreed.keys());
  if (attempt > 0 && attempt === latest)
    throw new StaleMessageError(peer, `close_propose of attempt ${attempt} again`, {
      factoryId: f.idHex,
      fault: 'duplicate',
    });
  if (attempt > 0 && attempt < latest)
    throw new StaleMessageError(peer, `close_propose of attempt ${attempt}, after attempt ${latest}`, {
      factoryId: f.idHex,
      fault: 'old-attempt',
    });
  c.session = null;
  const ch = f.channel;
  const spec = ch?.localSpec;
  let session: ClientCloseSession;
  try {
    if (ch === null || ch.phase !== 'normal' || spec === undefined || !f.quiescent || spec.htlcs.length > 0)
      throw new CloseRefusedError(
        'channel-busy',
        attempt,
        'its channel is not quiescent, or holds HTLCs (brief §6: a close only with none pending)',
      );
    session = new ClientCloseSession({
      message: m,
      proposal: f.proposal,
      path: f.path,
      clientIndex: f.clientIndex,
      factorySecretKey: core.keys.factoryKey(f.factoryIndex).secretKey,
      // Its own balance from its own channel (the commitment pays floor(msat / 1000)), never the LSP's word.
      balance: spec.clientMsat / 1000n,
      closeScript: core.keys.closeAddress(f.factoryIndex).scriptPubKey,
      lspNodeId: core.lsp,
      tipHeight: core.tipHeight ?? m.tipHeight,
      maxCloseFeeRate: core.policy.maxCloseFeeRate,
      rng: core.deps.rng ?? cryptoRng,
    });
  } catch (e) {
    if (!CloseRefusedError.isInstance(e)) throw e;
    refused(core, f, e as CloseRefusedError);
    return;
  }
  const balance = (spec as NonNullable<typeof spec>).clientMsat / 1000n;
  const agreed: AgreedClose = {
    attempt,
    message: m,
    balance,
    txid: session.close.txid,
    close: session.close,
  };
  c.agreed.set(attempt, agreed);
  c.session = session;
  core.persist([putAgreedClose(f.idHex, agreed)]);
  if (f.phase !== 'closing') {
    f.phase = 'closing';
    core.saveFactory(f);
    saveClose(core, f);
  }
  core.event({
    kind: 'CloseProposed',
    factoryId: f.idHex,
    attempt,
    txid: session.close.txid,
    balance,
    ownOutput: session.ownOutput,
    closeFeeRate: m.closeFeeRate,
    fee: session.close.fee,
  });
  core.log('info', 'close agreed', { factoryId: f.idHex, attempt, txid: session.close.txid, balance });
  core.send(session.nonce());
}

/** A refused close: nothing signed, a `warning` to the LSP, `CloseRefused`; the factory stays as it is. */
function refused(core: ClientCore, f: ClientFactory, e: CloseRefusedError): void {
  core.event({
    kind: 'CloseRefused',
    factoryId: f.idHex,
    attempt: e.attempt,
    fault: e.fault,
    text: e.message,
  });
  core.log('warn', 'close refused', { factoryId: f.idHex, attempt: e.attempt, fault: e.fault }, e);
  if (core.connected) core.send({ type: 'warning', factoryId: f.id, text: e.message });
}

/** `close_agg_nonce`: the partial signature of the attempt in flight (once: its nonce is spent). */
export function onCloseAggNonce(core: ClientCore, peer: string, m: CloseAggNonce): void {
  const f = factoryOf(core, peer, m.factoryId);
  const session = f.close?.session;
  if (session === null || session === undefined)
    throw new StaleMessageError(peer, `close_agg_nonce of attempt ${m.attempt} with no attempt in flight`, {
      factoryId: f.idHex,
      fault: 'old-attempt',
    });
  core.send(session.sign(m));
}

/** The close of an agreed attempt (rebuilt from the stored message after a restart). */
function agreedClose(f: ClientFactory, a: AgreedClose): CooperativeClose {
  if (a.close === null) a.close = rebuild(f.path, a.message, a.attempt);
  return a.close;
}

/** `close_done`: verify against the agreed close and the funding key, persist the signed close. */
export function onCloseDone(core: ClientCore, peer: string, m: CloseDone): void {
  const f = factoryOf(core, peer, m.factoryId);
  const c = f.close;
  const a = c?.agreed.get(m.attempt);
  if (c === null || a === undefined)
    throw new UnexpectedMessageError(
      peer,
      `close_done of attempt ${m.attempt}, which this client never agreed to`,
      {
        factoryId: f.idHex,
        consequence: 'disconnect',
        fault: 'future-attempt',
      },
    );
  if (c.signed !== null && c.signed.attempt >= m.attempt)
    throw new StaleMessageError(
      peer,
      `close_done of attempt ${m.attempt}: it holds attempt ${c.signed.attempt} signed`,
      {
        factoryId: f.idHex,
        fault: c.signed.attempt === m.attempt ? 'duplicate' : 'old-attempt',
      },
    );
  if (!(m.signature instanceof Uint8Array) || m.signature.length !== 64)
    throw new UnexpectedMessageError(peer, 'close_done: the signature is not 64 bytes', {
      factoryId: f.idHex,
      consequence: 'disconnect',
      fault: 'malformed',
    });
  const close = agreedClose(f, a);
  if (!schnorrVerify(m.signature, close.sighash, f.path.funding.outputKey)) {
    const e = new CloseSignatureError(
      m.attempt,
      `close_done: the signature is not valid for close ${close.txid} under the funding key`,
    );
    // Not signed as agreed: tell the LSP and drop the connection; the agreed closes stay watched.
    core.log('warn', 'close_done refused', { factoryId: f.idHex, attempt: m.attempt }, e);
    core.send({ type: 'error', factoryId: f.id, text: e.message });
    core.disconnectLsp(e.message);
    return;
  }
  c.signed = { attempt: m.attempt, txid: close.txid, raw: signedCloseBytes(close, m.signature) };
  if (c.session?.attempt === m.attempt) c.session = null;
  saveClose(core, f);
  core.event({ kind: 'CloseSigned', factoryId: f.idHex, attempt: m.attempt, txid: close.txid });
  core.log('info', 'close signed', { factoryId: f.idHex, attempt: m.attempt, txid: close.txid });
}

/** The connection is gone: the attempt in flight with it (its secret nonce never outlives it). */
export function closeOnDisconnect(f: ClientFactory): void {
  f.quiescent = false;
  if (f.close !== null) f.close.session = null;
}

/** What the client's `factory_reestablish` says of its close (phase `closing`). */
export function closeReestablishRecord(f: ClientFactory): { attempt: number; step: 'nonce' | 'signed' } {
  const c = f.close as ClientClose;
  const latest = Math.max(0, ...c.agreed.keys());
  if (c.signed !== null && c.signed.attempt >= latest) return { attempt: c.signed.attempt, step: 'signed' };
  return { attempt: latest, step: 'nonce' };
}

/** Blocks: an agreed close confirmed, then `FactoryClosed` at `minimumDepth`. */
export function closeOnBlock(
  core: ClientCore,
  f: ClientFactory,
  height: number,
  inBlock: ReadonlySet<string>,
): void {
  const c = f.close;
  if (f.phase !== 'closing' || c === null) return;
  if (c.confirmed === null) {
    const hit = [...c.agreed.values()].find((a) => inBlock.has(a.txid));
    if (hit !== undefined) {
      c.confirmed = { txid: hit.txid, height };
      saveClose(core, f);
      core.log('info', 'close confirmed', { factoryId: f.idHex, txid: hit.txid, height });
    }
  }
  const conf = c.confirmed;
  if (conf === null || height - conf.height + 1 < f.proposal.minimumDepth) return;
  // Attempts over the same balances, tip and rate build the same transaction: name the latest.
  const a = [...c.agreed.values()]
    .sort((x, y) => y.attempt - x.attempt)
    .find((x) => x.txid === conf.txid) as AgreedClose;
  const close = agreedClose(f, a);
  const me = f.clientIndex;
  const balances = close.outputs
    .filter((o) => o.owner >= 0)
    .map((o) => ({ clientIndex: o.owner, balance: o.owner === me ? a.balance : o.value, paid: o.value }));
  // No output of its own: its balance was below dust, left to the LSP's output (brief §6).
  if (!balances.some((b) => b.clientIndex === me))
    balances.push({ clientIndex: me, balance: a.balance, paid: 0n });
  balances.sort((x, y) => x.clientIndex - y.clientIndex);
  f.phase = 'closed';
  c.session = null;
  core.saveFactory(f);
  saveClose(core, f);
  core.event({
    kind: 'FactoryClosed',
    factoryId: f.idHex,
    txid: conf.txid,
    height: conf.height,
    attempt: a.attempt,
    balances,
    lspAmount: close.lspAmount,
    fee: close.fee,
  });
  core.log('info', 'factory closed', { factoryId: f.idHex, txid: conf.txid, height: conf.height });
  core.finish(f);
}

/** A reorganisation took the close's block away. */
export function closeOnBlockDisconnected(core: ClientCore, f: ClientFactory, height: number): void {
  const c = f.close;
  if (f.phase !== 'closing' || c?.confirmed == null || c.confirmed.height < height) return;
  core.log('warn', 'close un-confirmed by a reorganisation', { factoryId: f.idHex, height });
  c.confirmed = null;
  saveClose(core, f);
}
