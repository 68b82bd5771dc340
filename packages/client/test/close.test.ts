// The client's check of a proposed cooperative close (brief §6, §12 flaw 6) and the order of its
// messages. The full close with an LSP session and SimChain is in @superscalar/lsp's close test.
import { CloseRejectedError } from '@superscalar/factory-tree';
import type { ClosePropose } from '@superscalar/wire';
import { describe, expect, it } from 'vitest';
import {
  type ClientCloseOptions,
  ClientCloseSession,
  CloseRefusedError,
  CloseSignatureError,
  closeRequest,
  InvalidArgumentError,
  StaleMessageError,
  UnexpectedMessageError,
} from '../src/index.js';
import { honestPropose, party, seededRng, testFactory, thrown } from './_factory.js';

const f = testFactory(4);
const p = f.tree.proposal;
// Client 1 holds dust (no output, left to the LSP).
const balances = [60_000n, 250n, 30_000n, 20_000n];
const honest = honestPropose(f, balances);
const lspScript = p.lsp.closeScript;
/** The LSP's node id, as the client knows it (named in its errors). */
const LSP_NODE = `03${'11'.repeat(32)}`;

function session(message: ClosePropose, i = 0, more: Partial<ClientCloseOptions> = {}): ClientCloseSession {
  const c = f.clients[i] as (typeof f.clients)[number];
  return new ClientCloseSession({
    message,
    proposal: p,
    clientIndex: i,
    factorySecretKey: c.secretKey,
    balance: balances[i] as bigint,
    closeScript: c.closeScript,
    lspNodeId: LSP_NODE,
    tipHeight: 800,
    maxCloseFeeRate: 5_000,
    rng: seededRng(i + 1),
    ...more,
  });
}

/** `outputs` with output `k` replaced (or removed when `o` is null). */
function edit(m: ClosePropose, k: number, o: ClosePropose['outputs'][number] | null): ClosePropose {
  const outputs = [...m.outputs];
  if (o === null) outputs.splice(k, 1);
  else outputs[k] = o;
  return { ...m, outputs };
}

function refusal(f: () => unknown): CloseRefusedError {
  const e = thrown(f);
  if (!CloseRefusedError.isInstance(e)) throw e;
  expect(e.code).toBe('CLIENT_CLOSE_REFUSED');
  return e;
}

const last = honest.outputs.length - 1;
const lspOut = honest.outputs[last] as ClosePropose['outputs'][number];
const out0 = honest.outputs[0] as ClosePropose['outputs'][number];

describe('a client signs a close only if its own close address gets at least its balance', () => {
  it('an honest proposal passes for every client, the dust holder included (no output for it)', () => {
    const sessions = f.clients.map((_, i) => session(honest, i));
    expect(sessions.map((s) => s.ownOutput)).toEqual([60_000n, 0n, 30_000n, 20_000n]);
    expect(new Set(sessions.map((s) => s.close.txid)).size).toBe(1);
    const s = sessions[0] as ClientCloseSession;
    expect(s.phase).toBe('awaiting-agg-nonce');
    // One nonce per session: every call returns the same one.
    expect(s.nonce()).toEqual(s.nonce());
    expect(s.nonce()).toMatchObject({ type: 'close_nonce', attempt: 1 });
    expect(s.nonce().pubnonce).not.toEqual(sessions[2]?.nonce().pubnonce);
  });

  it('its own output one sat short is refused (underpaid), though the transaction is otherwise §6-valid', () => {
    const short = edit(edit(honest, 0, { ...out0, amount: 59_999n }), last, {
      ...lspOut,
      amount: lspOut.amount + 1n,
    });
    const e = refusal(() => session(short));
    expect(e).toMatchObject({ fault: 'underpaid', attempt: 1 });
    expect(CloseRejectedError.isInstance(e.cause)).toBe(true);
    // Every other client would sign it: only client 0's own check stands between it and the loss.
    for (const i of [1, 2, 3]) expect(session(short, i).close.txid).toBeDefined();
  });

  it('its balance paid to another script is refused (no-own-output)', () => {
    const moved = edit(honest, 0, { ...out0, script: party('elsewhere', 9).closeScript });
    expect(refusal(() => session(moved))).toMatchObject({ fault: 'no-own-output' });
  });

  it("flaw 6: the LSP's output carrying the client's amount is no payment to the client", () => {
    // A well-formed §6 close that pretends client 0's balance is 0: its 60,000 sats stay in the LSP's
    // output, which the other clients' checks cannot see (they know only their own balance).
    const robbed = honestPropose(f, [0n, ...balances.slice(1)]);
    const lspOutput = robbed.outputs.at(-1) as ClosePropose['outputs'][number];
    expect(lspOutput.script).toEqual(lspScript);
    expect(lspOutput.amount).toBeGreaterThanOrEqual(60_000n);
    // The C client's check — some output of at least its balance — accepts this:
    const cClientAccepts = (m: ClosePropose, balance: bigint) => m.outputs.some((o) => o.amount >= balance);
    expect(cClientAccepts(robbed, 60_000n)).toBe(true);
    // This client refuses it; every other client would sign it.
    expect(refusal(() => session(robbed))).toMatchObject({ fault: 'no-own-output' });
    for (const i of [1, 2, 3])
      expect(session(robbed, i).ownOutput).toBe(balances[i] === 250n ? 0n : balances[i]);
  });

  it('a dust balance gets no output; a sub-dust output in a proposal is not §6 and is refused', () => {
    expect(session(honest, 1).ownOutput).toBe(0n);
    const dusty = {
      ...honest,
      outputs: [
        out0,
        { script: f.clients[1]?.closeScript as Uint8Array, amount: 250n },
        ...honest.outputs.slice(1),
      ],
    };
    expect(refusal(() => session(dusty, 2))).toMatchObject({ fault: 'wrong-outputs' });
  });

  it('outputs that are not §6 are refused: a different LSP rest (fee), clients out of order, the LSP not last', () => {
    const moreFee = edit(honest, last, { ...lspOut, amount: lspOut.amount - 1n });
    const lessFee = edit(honest, last, { ...lspOut, amount: lspOut.amount + 1n });
    const swapped = edit(edit(honest, 0, honest.outputs[1] as never), 1, out0);
    const lspFirst = { ...honest, outputs: [lspOut, ...honest.outputs.slice(0, last)] };
    for (const m of [moreFee, lessFee, swapped, lspFirst])
      expect(refusal(() => session(m))).toMatchObject({ fault: 'wrong-outputs' });
  });

  it('a fee rate above the cap, or an nLockTime more than 1 ahead or 6 behind its tip, is refused', () => {
    expect(refusal(() => session(honestPropose(f, balances, { closeFeeRate: 5_001 })))).toMatchObject({
      fault: 'fee-too-high',
    });
    expect(session(honestPropose(f, balances, { closeFeeRate: 5_000 })).close.fee).toBeGreaterThan(0n);
    for (const tipHeight of [802, 793])
      expect(refusal(() => session(honestPropose(f, balances, { tipHeight })))).toMatchObject({
        fault: 'lock-time',
      });
    for (const tipHeight of [801, 794])
      expect(session(honestPropose(f, balances, { tipHeight })).attempt).toBe(1);
    expect(session(honestPropose(f, balances, { tipHeight: 810 }), 0, { maxLockTimeAhead: 10 }).attempt).toBe(
      1,
    );
  });

  it('another factory, a close request in place of a proposal, malformed outputs: unexpected messages', () => {
    const other = { ...honest, factoryId: Uint8Array.from(honest.factoryId, (b) => b ^ 1) };
    const e = thrown(() => session(other));
    expect(UnexpectedMessageError.isInstance(e)).toBe(true);
    expect(e).toMatchObject({
      code: 'CLIENT_UNEXPECTED_MESSAGE',
      fault: 'wrong-factory',
      peer: LSP_NODE,
      consequence: 'disconnect',
    });
    expect(thrown(() => session(closeRequest(honest.factoryId, 800)))).toMatchObject({ fault: 'malformed' });
    expect(
      thrown(() => session({ ...honest, outputs: [{ script: out0.script, amount: -1n }] })),
    ).toMatchObject({
      fault: 'malformed',
    });
  });

  it("options that are not this client's: another key, another close script, an index out of range", () => {
    const other = f.clients[2] as (typeof f.clients)[number];
    const cases: [Partial<ClientCloseOptions>, string][] = [
      [{ factorySecretKey: other.secretKey }, 'options.factorySecretKey'],
      [{ closeScript: other.closeScript }, 'options.closeScript'],
      [{ clientIndex: 4 }, 'options.clientIndex'],
      [{ balance: -1n }, 'options.balance'],
      [{ lspNodeId: '' }, 'options.lspNodeId'],
    ];
    for (const [more, argument] of cases) {
      const e = thrown(() => session(honest, 0, more));
      expect(InvalidArgumentError.isInstance(e)).toBe(true);
      expect(e).toMatchObject({ code: 'CLIENT_INVALID_ARGUMENT', argument });
    }
  });
});

describe('the client session takes one aggregate nonce and checks close_done', () => {
  const m2 = honestPropose(f, balances, { attempt: 2 });
  // Valid nonce encodings to stand in for the LSP's aggregate nonce (signing works on any valid one).
  const aggnonce = session(m2, 2).nonce().pubnonce;
  const otherAggnonce = session(m2, 3).nonce().pubnonce;
  const agg = { type: 'close_agg_nonce', factoryId: m2.factoryId, attempt: 2, aggnonce } as const;
  const done = {
    type: 'close_done',
    factoryId: m2.factoryId,
    attempt: 2,
    signature: new Uint8Array(64).fill(1),
  } as const;

  it('close_done before it signed is out of order; other attempts or factories are refused', () => {
    const s = session(m2);
    expect(thrown(() => s.complete(done))).toMatchObject({
      code: 'CLIENT_UNEXPECTED_MESSAGE',
      fault: 'out-of-order',
    });
    expect(thrown(() => s.sign({ ...agg, attempt: 1 }))).toMatchObject({
      code: 'CLIENT_STALE_MESSAGE',
      fault: 'old-attempt',
    });
    expect(thrown(() => s.sign({ ...agg, attempt: 3 }))).toMatchObject({ fault: 'future-attempt' });
    expect(thrown(() => s.sign({ ...agg, factoryId: new Uint8Array(32) }))).toMatchObject({
      fault: 'wrong-factory',
    });
    expect(thrown(() => s.sign({ ...agg, aggnonce: aggnonce.subarray(2) }))).toMatchObject({
      fault: 'malformed',
    });
    expect(s.phase).toBe('awaiting-agg-nonce');
  });

  it('signs once: the same aggregate nonce again is stale, a different one is refused, never signed', () => {
    const s = session(m2);
    const psig = s.sign(agg);
    expect(psig).toMatchObject({ type: 'close_psig', attempt: 2 });
    expect(psig.psig).toHaveLength(32);
    expect(s.phase).toBe('awaiting-done');
    const again = thrown(() => s.sign(agg));
    expect(StaleMessageError.isInstance(again)).toBe(true);
    expect(again).toMatchObject({ fault: 'duplicate', consequence: 'ignore', peer: LSP_NODE });
    expect(thrown(() => s.sign({ ...agg, aggnonce: otherAggnonce }))).toMatchObject({
      code: 'CLIENT_UNEXPECTED_MESSAGE',
      fault: 'conflicting',
    });
  });

  it('a close_done whose signature is not valid for the checked close is refused', () => {
    const s = session(m2);
    s.sign(agg);
    const e = thrown(() => s.complete(done));
    expect(CloseSignatureError.isInstance(e)).toBe(true);
    expect(e).toMatchObject({ code: 'CLIENT_CLOSE_SIGNATURE_INVALID', attempt: 2 });
    expect(thrown(() => s.complete({ ...done, signature: new Uint8Array(63) }))).toMatchObject({
      fault: 'malformed',
    });
    expect(s.phase).toBe('awaiting-done');
  });

  it('closeRequest: attempt 0, no outputs, the tip; a malformed factory id is an argument error', () => {
    expect(closeRequest(honest.factoryId, 812)).toEqual({
      type: 'close_propose',
      factoryId: honest.factoryId,
      attempt: 0,
      tipHeight: 812,
      closeFeeRate: 0,
      outputs: [],
    });
    expect(thrown(() => closeRequest(new Uint8Array(31), 812))).toMatchObject({ argument: 'factoryId' });
  });
});
