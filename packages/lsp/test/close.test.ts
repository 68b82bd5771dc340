// The cooperative close (brief §6) between one LspCloseSession and N ClientCloseSessions, every message
// through the wire codec, the signed transaction broadcast and confirmed on SimChain spending the
// real funding output; blame on a bad partial signature (§8 step 4); the fee bump as a new attempt.
import { SimChain } from '@superscalar/chain';
import { ClientCloseSession, closeRequest } from '@superscalar/client';
import { buildTree, SpendError } from '@superscalar/factory-tree';
import { decodeMessage, encodeMessage, type Message } from '@superscalar/wire';
import { describe, expect, it } from 'vitest';
import {
  CloseBlameError,
  InvalidArgumentError,
  isCloseRequest,
  LspCloseSession,
  StaleMessageError,
  UnexpectedMessageError,
} from '../src/index.js';
import { fundedFactory, seededRng, type TestFactory, thrown } from './_factory.js';

/** A message as the peer receives it: encoded and decoded by the wire codec. */
function wire<M extends Message>(m: M): M {
  return decodeMessage(encodeMessage(m)) as M;
}

/** The clients' node ids as the LSP knows them (named in its errors). */
function peersOf(f: TestFactory): string[] {
  return f.clients.map((_, i) => `02${(i + 1).toString(16).padStart(64, '0')}`);
}

/** The LSP's node id as the clients know it. */
const LSP_NODE = `03${'00'.repeat(32)}`;

interface Attempt {
  readonly lsp: LspCloseSession;
  readonly clients: ClientCloseSession[];
}

function propose(
  f: TestFactory,
  chain: SimChain,
  balances: readonly bigint[],
  attempt = 1,
  closeFeeRate = 1_000,
) {
  const lsp = new LspCloseSession({
    proposal: f.proposal,
    lspSecretKey: f.lsp.secretKey,
    attempt,
    tipHeight: chain.height,
    closeFeeRate,
    balances,
    peers: peersOf(f),
    rng: seededRng(attempt),
  });
  const message = wire(lsp.propose());
  const clients = f.clients.map(
    (c, i) =>
      new ClientCloseSession({
        message,
        proposal: f.proposal,
        clientIndex: i,
        factorySecretKey: c.secretKey,
        balance: balances[i] as bigint,
        closeScript: c.closeScript,
        lspNodeId: LSP_NODE,
        tipHeight: chain.height,
        maxCloseFeeRate: 10_000,
        rng: seededRng(1_000 * attempt + i),
      }),
  );
  return { lsp, clients };
}

/** Runs nonces, aggregate nonce and partial signatures through the wire; returns the LSP's result. */
function sign({ lsp, clients }: Attempt, tamper?: (client: number, psig: Uint8Array) => Uint8Array) {
  const aggs = clients.map((c, i) => lsp.receiveNonce(i, wire(c.nonce())));
  expect(aggs.slice(0, -1).every((a) => a === null)).toBe(true);
  const agg = aggs.at(-1);
  if (!agg) throw new Error('no close_agg_nonce after the last nonce');
  const results = clients.map((c, i) => {
    const m = wire(c.sign(wire(agg)));
    return lsp.receivePsig(i, tamper ? { ...m, psig: tamper(i, m.psig) } : m);
  });
  expect(results.slice(0, -1).every((r) => r === null)).toBe(true);
  return results.at(-1);
}

function balancesFor(n: number): bigint[] {
  // Client 1 has dust (left to the LSP, reported), client 3 nothing; the others various amounts.
  return Array.from({ length: n }, (_, i) => (i === 1 ? 250n : i === 3 ? 0n : 40_000n + BigInt(i) * 1_111n));
}

describe('cooperative close: one LSP session, N client sessions', () => {
  for (const n of [1, 4, 16])
    it(`N = ${n}: every client signs, the close confirms on SimChain and pays each its balance at its own close address`, () => {
      const chain = new SimChain();
      const f = fundedFactory(chain, n, `n${n}`);
      const balances = balancesFor(n);
      const a = propose(f, chain, balances);
      expect(a.lsp.missing()).toEqual(f.clients.map((_, i) => i));
      const result = sign(a);
      if (!result) throw new Error('no result');
      expect(a.lsp.phase).toBe('complete');
      // Each client checks close_done against the transaction it checked: the same bytes.
      for (const c of a.clients)
        expect(c.complete(wire(result.done))).toEqual({ raw: result.raw, txid: result.txid });
      expect(chain.broadcastSync(result.raw)).toBe(result.txid);
      chain.mineSync(1);
      const { close } = a.lsp;
      expect(close.tx.locktime).toBe(chain.height - 1);
      let vout = 0;
      for (const [i, b] of balances.entries()) {
        if (b < 330n) continue;
        expect(chain.utxo({ txid: result.txid, vout })).toMatchObject({
          value: b,
          scriptPubKey: f.clients[i]?.closeScript,
        });
        expect(a.clients[i]?.ownOutput).toBe(b);
        vout++;
      }
      const paid = balances.filter((b) => b >= 330n).reduce((s, b) => s + b, 0n);
      expect(chain.utxo({ txid: result.txid, vout })).toMatchObject({
        value: f.proposal.funding.amount - paid - close.fee,
        scriptPubKey: f.proposal.lsp.closeScript,
      });
      // Dust is reported and left to the LSP's output; a zero balance is neither.
      expect(close.dustBalances).toEqual(n >= 2 ? [{ client: 1, balance: 250n }] : []);
      if (n >= 2) expect(a.clients[1]?.ownOutput).toBe(0n);
    }, 120_000);

  it('a bad partial signature fails the attempt naming its participant (i + 1); attempt 2 with fresh nonces closes', () => {
    const chain = new SimChain();
    const f = fundedFactory(chain, 4, 'blame');
    const balances = balancesFor(4);
    const a = propose(f, chain, balances);
    const e = thrown(() =>
      sign(a, (i, psig) => (i === 2 ? Uint8Array.from(psig, (b, k) => (k === 31 ? b ^ 1 : b)) : psig)),
    );
    expect(CloseBlameError.isInstance(e)).toBe(true);
    expect(e).toMatchObject({ code: 'LSP_CLOSE_BLAME', blamed: 3, attempt: 1 });
    expect(a.lsp.phase).toBe('failed');
    expect(a.lsp.result).toBeUndefined();
    // The failed attempt takes nothing more.
    expect(thrown(() => a.lsp.receiveNonce(0, wire(a.clients[0]?.nonce() as never)))).toMatchObject({
      code: 'LSP_STALE_MESSAGE',
      consequence: 'ignore',
    });
    const b = propose(f, chain, balances, 2);
    const result = sign(b);
    if (!result) throw new Error('no result');
    chain.broadcastSync(result.raw);
    chain.mineSync(1);
    expect(chain.utxo({ txid: result.txid, vout: 0 })?.value).toBe(balances[0]);
  }, 60_000);

  it('fee bump: attempt 2 at a higher rate is re-signed and replaces attempt 1; attempt 1 messages are stale to it', () => {
    const chain = new SimChain();
    const f = fundedFactory(chain, 4, 'bump');
    const balances = balancesFor(4);
    const first = propose(f, chain, balances, 1, 1_000);
    const r1 = sign(first);
    if (!r1) throw new Error('no result');
    chain.broadcastSync(r1.raw);

    const second = propose(f, chain, balances, 2, 3_000);
    expect(second.lsp.close.fee).toBeGreaterThan(first.lsp.close.fee);
    // Attempt 1's messages, replayed to attempt 2's session: stale, ignored, nothing taken.
    for (const [i, c] of first.clients.entries())
      expect(thrown(() => second.lsp.receiveNonce(i, c.nonce()))).toMatchObject({
        code: 'LSP_STALE_MESSAGE',
        fault: 'old-attempt',
        peer: peersOf(f)[i],
        consequence: 'ignore',
      });
    expect(second.lsp.missing()).toEqual([0, 1, 2, 3]);
    const r2 = sign(second);
    if (!r2) throw new Error('no result');
    // Attempt 2's close_done is not attempt 1's business.
    expect(thrown(() => first.clients[0]?.complete(r2.done))).toMatchObject({
      code: 'CLIENT_UNEXPECTED_MESSAGE',
      fault: 'future-attempt',
      peer: LSP_NODE,
      consequence: 'disconnect',
    });
    expect(r2.txid).not.toBe(r1.txid);
    expect(chain.broadcastSync(r2.raw)).toBe(r2.txid);
    chain.mineSync(1);
    expect(chain.utxo({ txid: r2.txid, vout: 0 })?.value).toBe(balances[0]);
    expect(chain.utxo({ txid: r1.txid, vout: 0 })).toBeUndefined();
  }, 60_000);
});

describe('the LSP session refuses what the protocol does not allow, with typed errors', () => {
  const chain = new SimChain();
  const f = fundedFactory(chain, 4, 'refuse');
  const balances = balancesFor(4);
  const fresh = () => propose(f, chain, balances, 2);

  it('wrong factory, later attempt, older attempt, unknown client, wrong type', () => {
    const { lsp, clients } = fresh();
    const m = clients[0]?.nonce() as ReturnType<ClientCloseSession['nonce']>;
    const other = { ...m, factoryId: Uint8Array.from(m.factoryId, (b) => b ^ 1) };
    expect(thrown(() => lsp.receiveNonce(0, other))).toMatchObject({
      code: 'LSP_UNEXPECTED_MESSAGE',
      fault: 'wrong-factory',
      peer: peersOf(f)[0],
      consequence: 'disconnect',
    });
    expect(thrown(() => lsp.receiveNonce(0, { ...m, attempt: 3 }))).toMatchObject({
      fault: 'future-attempt',
    });
    expect(thrown(() => lsp.receiveNonce(0, { ...m, attempt: 1 }))).toMatchObject({
      code: 'LSP_STALE_MESSAGE',
      fault: 'old-attempt',
    });
    expect(UnexpectedMessageError.isInstance(thrown(() => lsp.receiveNonce(0, other)))).toBe(true);
    // The machine maps peers to indices: an index out of range is the caller's bug.
    for (const who of [4, -1, 1.5])
      expect(thrown(() => lsp.receiveNonce(who, m))).toMatchObject({
        code: 'LSP_INVALID_ARGUMENT',
        argument: 'client',
      });
    expect(
      InvalidArgumentError.isInstance(
        thrown(() => lsp.receiveNonce(0, { ...m, type: 'close_psig' } as never)),
      ),
    ).toBe(true);
    expect(lsp.missing()).toEqual([0, 1, 2, 3]);
  });

  it('duplicates are stale, a different second nonce is equivocation, an undecodable nonce is malformed', () => {
    const { lsp, clients } = fresh();
    const m = clients[0]?.nonce() as ReturnType<ClientCloseSession['nonce']>;
    const bad = {
      ...m,
      pubnonce: Uint8Array.from({ length: 66 }, (_, k) => (k === 0 || k === 33 ? 2 : 0xff)),
    };
    expect(thrown(() => lsp.receiveNonce(0, bad))).toMatchObject({
      fault: 'malformed',
      peer: peersOf(f)[0],
    });
    expect(thrown(() => lsp.receiveNonce(0, { ...m, pubnonce: m.pubnonce.subarray(1) }))).toMatchObject({
      fault: 'malformed',
    });
    expect(lsp.receiveNonce(0, m)).toBeNull();
    expect(thrown(() => lsp.receiveNonce(0, m))).toMatchObject({
      code: 'LSP_STALE_MESSAGE',
      fault: 'duplicate',
    });
    const again = clients[1]?.nonce() as typeof m;
    expect(thrown(() => lsp.receiveNonce(0, { ...again, factoryId: m.factoryId }))).toMatchObject({
      code: 'LSP_UNEXPECTED_MESSAGE',
      fault: 'conflicting',
    });
    expect(lsp.missing()).toEqual([1, 2, 3]);
  });

  it('a partial signature before the aggregate nonce is out of order; after completion a nonce again is stale, a different partial equivocation', () => {
    const a = fresh();
    const early = {
      type: 'close_psig',
      factoryId: a.lsp.factoryId,
      attempt: 2,
      psig: new Uint8Array(32).fill(1),
    } as const;
    expect(thrown(() => a.lsp.receivePsig(0, early))).toMatchObject({
      code: 'LSP_UNEXPECTED_MESSAGE',
      fault: 'out-of-order',
    });
    const result = sign(a);
    expect(result?.done.attempt).toBe(2);
    expect(a.lsp.missing()).toEqual([]);
    const again = wire(a.clients[0]?.nonce() as never);
    expect(thrown(() => a.lsp.receiveNonce(0, again))).toMatchObject({
      code: 'LSP_STALE_MESSAGE',
      fault: 'duplicate',
    });
    expect(StaleMessageError.isInstance(thrown(() => a.lsp.receivePsig(0, early)))).toBe(false);
    expect(thrown(() => a.lsp.receivePsig(0, early))).toMatchObject({ fault: 'conflicting' });
  });

  it('bad options: a key that is not the LSP’s, attempt 0, balances the funding cannot pay, a foreign tree', () => {
    const base = {
      proposal: f.proposal,
      lspSecretKey: f.lsp.secretKey,
      attempt: 1,
      tipHeight: chain.height,
      closeFeeRate: 1_000,
      balances,
      peers: peersOf(f),
      rng: seededRng(9),
    };
    expect(
      thrown(() => new LspCloseSession({ ...base, lspSecretKey: f.clients[0]?.secretKey as Uint8Array })),
    ).toMatchObject({
      code: 'LSP_INVALID_ARGUMENT',
      argument: 'options.lspSecretKey',
    });
    expect(thrown(() => new LspCloseSession({ ...base, attempt: 0 }))).toMatchObject({
      argument: 'options.attempt',
    });
    expect(thrown(() => new LspCloseSession({ ...base, peers: peersOf(f).slice(1) }))).toMatchObject({
      argument: 'options.peers',
    });
    const rich = balances.map(() => f.proposal.funding.amount / 4n);
    expect(SpendError.isInstance(thrown(() => new LspCloseSession({ ...base, balances: rich })))).toBe(true);
    const foreign = buildTree(fundedFactory(chain, 1, 'foreign').proposal);
    expect(thrown(() => new LspCloseSession({ ...base, tree: foreign }))).toMatchObject({
      argument: 'options.tree',
    });
    const tree = buildTree(f.proposal);
    expect(new LspCloseSession({ ...base, proposal: tree.proposal, tree }).close.txid).toBe(
      new LspCloseSession(base).close.txid,
    );
  });

  it("a client's close request (attempt 0, no outputs) crosses the wire and is recognised; a proposal is not one", () => {
    const { lsp } = fresh();
    const request = wire(closeRequest(lsp.factoryId, chain.height));
    expect(request).toMatchObject({ type: 'close_propose', attempt: 0, outputs: [] });
    expect(isCloseRequest(request)).toBe(true);
    expect(isCloseRequest(wire(lsp.propose()))).toBe(false);
    expect(isCloseRequest({ type: 'ping', numPongBytes: 0, ignored: new Uint8Array(0) })).toBe(false);
  });
});
