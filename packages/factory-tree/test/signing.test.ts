// The §8 signing ceremony split by role (clientRound1, lspSign, clientRound2, lspAggregate) and the
// simulated signer on top of it: every aggregate verifies under BIP340 (checked with @noble/curves,
// independent of @superscalar/musig2) against the spent output's tweaked key; a tampered partial
// signature is blamed on the right participant by proposal index; each client sends one nonce per
// transaction of its path and no nonce ever signs two transactions.
import { schnorr } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import { C_SHAPE, DEFAULT_SHAPE, fixtureInput, fixtureSecretKeys, type Shape } from '../bench/_fixture.js';
import {
  buildTree,
  type ClientNonces,
  clientRound1,
  clientRound2,
  createProposal,
  type FactoryTree,
  InvalidArgumentError,
  lspAggregate,
  lspSign,
  SigningError,
  signingPlan,
  signTreeSimulated,
} from '../src/index.js';

const trees = new Map<string, FactoryTree>();
function tree(N: number, shape: Shape): FactoryTree {
  const key = `${N}/${JSON.stringify(shape)}`;
  let t = trees.get(key);
  if (t === undefined) {
    t = buildTree(createProposal(fixtureInput(N, shape)));
    trees.set(key, t);
  }
  return t;
}

function ceremony(t: FactoryTree, sks: readonly Uint8Array[], rng?: (n: number) => Uint8Array) {
  const r1 = sks.slice(1).map((sk, i) => clientRound1(t, i + 1, sk, rng ? { rng } : {}));
  const lsp = lspSign(
    t,
    sks[0] as Uint8Array,
    r1.map((r) => r.nonces),
  );
  const partials = r1.map((r, i) => clientRound2(r.state, lsp.aggNonces[i] as never));
  return { r1, lsp, partials };
}

function expectSignaturesValid(t: FactoryTree, sigs: readonly Uint8Array[]) {
  expect(sigs).toHaveLength(t.txs.length);
  t.txs.forEach((tx, i) => {
    // The key the signature must verify under is the one in the spent output's scriptPubKey.
    const spk = tx.spent.script;
    expect(spk.subarray(0, 2)).toEqual(Uint8Array.of(0x51, 0x20));
    const outputKey = spk.subarray(2, 34);
    expect(outputKey).toEqual(tx.spentTaproot.outputKey);
    expect(schnorr.verify(sigs[i] as Uint8Array, tx.sighash, outputKey)).toBe(true);
  });
}

describe('role API (clientRound1, lspSign, clientRound2, lspAggregate)', () => {
  for (const [N, shape] of [
    [5, DEFAULT_SHAPE],
    [4, C_SHAPE],
    [1, DEFAULT_SHAPE],
    [6, { leafArity: 2, levelArity: [4], staticLevels: 1 }],
  ] as const) {
    it(`every aggregate verifies under BIP340 against the spent output's tweaked key (N = ${N}, ${JSON.stringify(shape)})`, () => {
      const t = tree(N, shape);
      const sks = fixtureSecretKeys(N);
      const { lsp, partials } = ceremony(t, sks);
      expectSignaturesValid(t, lspAggregate(lsp.state, partials));
    });
  }

  it('a client sends exactly one nonce per transaction of its own root-to-leaf path, in broadcast order', () => {
    const t = tree(5, DEFAULT_SHAPE);
    const sks = fixtureSecretKeys(5);
    const plan = signingPlan(t);
    t.layout.leafPaths.forEach((path, j) => {
      for (const c of t.layout.leafClients[j] as readonly number[]) {
        const { nonces } = clientRound1(t, c + 1, sks[c + 1] as Uint8Array);
        expect(nonces.participant).toBe(c + 1);
        expect(nonces.txs).toEqual(path);
        expect(nonces.pubnonces).toHaveLength(path.length);
        for (const tx of path) expect(t.txs[tx]?.signers).toContain(c + 1);
        // Nothing off the path: a client's message is O(depth), not O(N).
        const offPath = t.txs.filter((tx) => tx.signers.includes(c + 1)).map((tx) => tx.index);
        expect(offPath).toEqual([...path]);
        expect(plan.byParticipant[c + 1]).toEqual(path);
      }
    });
  });

  it('no nonce signs two transactions: every public nonce of a ceremony is distinct, even with a constant RNG', () => {
    const t = tree(8, C_SHAPE);
    const sks = fixtureSecretKeys(8);
    const constant = (n: number) => new Uint8Array(n); // the worst RNG: NonceGen's hedging must still separate
    for (const rng of [undefined, constant]) {
      const { r1, lsp } = ceremony(t, sks, rng);
      const halves = new Set<string>();
      let count = 0;
      const add = (pn: Uint8Array) => {
        halves.add(Buffer.from(pn.subarray(0, 33)).toString('hex'));
        halves.add(Buffer.from(pn.subarray(33, 66)).toString('hex'));
        count += 2;
      };
      for (const r of r1) r.nonces.pubnonces.forEach(add);
      // The LSP's deterministic nonces (one per transaction) are distinct from each other and from the clients'.
      const { aggNonces } = lsp;
      for (const a of aggNonces) expect(a.aggnonces).toHaveLength(a.txs.length);
      const lspRun = lspSign(
        t,
        sks[0] as Uint8Array,
        r1.map((r) => r.nonces),
      );
      expect(lspRun.aggNonces).toEqual(aggNonces); // deterministic: same client nonces, same answer
      expect(halves.size).toBe(count);
    }
  });

  it('round 2 consumes the nonces: a second round 2 on the same state is refused', () => {
    const t = tree(2, DEFAULT_SHAPE);
    const sks = fixtureSecretKeys(2);
    const { r1, lsp } = ceremony(t, sks);
    const state = r1[0]?.state;
    expect(state?.consumed).toBe(true);
    expect(() => clientRound2(state as never, lsp.aggNonces[0] as never)).toThrow(InvalidArgumentError);
    expect(() => JSON.stringify(state)).toThrow(InvalidArgumentError);
  });

  it("a client's self-verification does not change its partial signatures", () => {
    const t = tree(4, C_SHAPE);
    const sks = fixtureSecretKeys(4);
    const rng = (n: number) => new Uint8Array(n).fill(7);
    const a = sks.slice(1).map((sk, i) => clientRound1(t, i + 1, sk, { rng }));
    const b = sks.slice(1).map((sk, i) => clientRound1(t, i + 1, sk, { rng }));
    expect(a.map((x) => x.nonces)).toEqual(b.map((x) => x.nonces));
    const lsp = lspSign(
      t,
      sks[0] as Uint8Array,
      a.map((x) => x.nonces),
    );
    const withCheck = a.map((x, i) => clientRound2(x.state, lsp.aggNonces[i] as never));
    const without = b.map((x, i) => clientRound2(x.state, lsp.aggNonces[i] as never, { selfVerify: false }));
    expect(without).toEqual(withCheck);
    expectSignaturesValid(t, lspAggregate(lsp.state, withCheck));
  });

  it('a tampered client partial signature is blamed on that client by proposal index', () => {
    const t = tree(4, C_SHAPE);
    const sks = fixtureSecretKeys(4);
    const { lsp, partials } = ceremony(t, sks);
    const victim = 3; // clients[2]
    const m = partials.find((p) => p.participant === victim);
    if (m === undefined) throw new Error('no partials of the victim');
    const bad = m.psigs.map((p, j) => (j === 1 ? flip(p) : p));
    const forged = partials.map((p) => (p === m ? { ...m, psigs: bad } : p));
    const err = catchError(() => lspAggregate(lsp.state, forged));
    expect(err).toBeInstanceOf(SigningError);
    expect((err as SigningError).tx).toBe(m.txs[1]);
    expect((err as SigningError).signer).toBe(victim);
  });

  it('an out-of-range partial signature is blamed too; duplicated or missing messages are refused', () => {
    const t = tree(4, DEFAULT_SHAPE);
    const sks = fixtureSecretKeys(4);
    const { lsp, partials } = ceremony(t, sks);
    const m = partials[1];
    if (m === undefined) throw new Error('no partials');
    const forged = partials.map((p) =>
      p === m ? { ...m, psigs: m.psigs.map((x, j) => (j === 0 ? new Uint8Array(32).fill(0xff) : x)) } : p,
    );
    const err = catchError(() => lspAggregate(lsp.state, forged));
    expect(err).toBeInstanceOf(SigningError);
    expect((err as SigningError).signer).toBe(m.participant);
    expect((err as SigningError).tx).toBe(m.txs[0]);
    expect(() => lspAggregate(lsp.state, [partials[0], ...partials.slice(0, 3)] as never)).toThrow(
      /sent twice/,
    );
    expect(() => lspAggregate(lsp.state, partials.slice(1))).toThrow(InvalidArgumentError);
    const short = partials.map((p) => (p === m ? { ...m, psigs: m.psigs.slice(1) } : p));
    expect(() => lspAggregate(lsp.state, short)).toThrow(InvalidArgumentError);
    // The valid set still aggregates after the refusals (the state is not consumed by a failure).
    expectSignaturesValid(t, lspAggregate(lsp.state, partials));
  });

  it('lspSign names the client whose nonce does not decode, and rejects missing or foreign path entries', () => {
    const t = tree(4, DEFAULT_SHAPE);
    const sks = fixtureSecretKeys(4);
    const r1 = sks.slice(1).map((sk, i) => clientRound1(t, i + 1, sk));
    const nonces = r1.map((r) => r.nonces);
    const broken: ClientNonces = {
      ...(nonces[2] as ClientNonces),
      pubnonces: (nonces[2] as ClientNonces).pubnonces.map((p, j) =>
        j === 0 ? new Uint8Array(66).fill(0xff) : p,
      ),
    };
    const err = catchError(() =>
      lspSign(
        t,
        sks[0] as Uint8Array,
        nonces.map((n, i) => (i === 2 ? broken : n)),
      ),
    );
    expect(err).toBeInstanceOf(SigningError);
    expect((err as SigningError).signer).toBe(3);
    expect((err as SigningError).tx).toBe(broken.txs[0]);
    expect(() => lspSign(t, sks[0] as Uint8Array, nonces.slice(1))).toThrow(InvalidArgumentError);
    const foreign = { ...(nonces[0] as ClientNonces), txs: (nonces[3] as ClientNonces).txs };
    expect(() => lspSign(t, sks[0] as Uint8Array, [foreign, ...nonces.slice(1)])).toThrow(
      /the participant.s jobs/,
    );
    expect(() => lspSign(t, sks[1] as Uint8Array, nonces)).toThrow(/LSP key/);
    expect(() => clientRound1(t, 1, sks[2] as Uint8Array)).toThrow(InvalidArgumentError);
    expect(() => clientRound1(t, 0, sks[0] as Uint8Array)).toThrow(InvalidArgumentError);
  });

  it('a client blames the LSP for an aggregate nonce that does not decode', () => {
    const t = tree(2, DEFAULT_SHAPE);
    const sks = fixtureSecretKeys(2);
    const r1 = sks.slice(1).map((sk, i) => clientRound1(t, i + 1, sk));
    const lsp = lspSign(
      t,
      sks[0] as Uint8Array,
      r1.map((r) => r.nonces),
    );
    const a = lsp.aggNonces[0];
    if (a === undefined) throw new Error('no aggregate nonces');
    const bad = { ...a, aggnonces: a.aggnonces.map((x, j) => (j === 0 ? new Uint8Array(66).fill(5) : x)) };
    const err = catchError(() => clientRound2(r1[0]?.state as never, bad));
    expect(err).toBeInstanceOf(SigningError);
    expect((err as SigningError).signer).toBe(0);
  });
});

describe('signTreeSimulated', () => {
  it('signs every transaction; each verifies under BIP340 (N = 64, leaf arity 1, 254 transactions)', {
    timeout: 120_000,
  }, () => {
    const t = tree(64, C_SHAPE);
    expect(t.txs).toHaveLength(254);
    expectSignaturesValid(t, signTreeSimulated(t, fixtureSecretKeys(64)));
  });

  it('blames the tampering participant by proposal index, never by KeySort position', {
    timeout: 120_000,
  }, () => {
    const t = tree(6, DEFAULT_SHAPE);
    const sks = fixtureSecretKeys(6);
    const plan = signingPlan(t);
    // The test is only meaningful if KeySort moves some participants: check that it does.
    const moved = plan.txs.some((j, ji) =>
      j.signers.some((s, pos) => s !== (t.txs[ji]?.signers[pos] as number)),
    );
    expect(moved).toBe(true);
    const runs = propertyRuns(20, 6);
    console.log(`signing.test.ts: ${runs} fast-check runs for blame`);
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), (txPick, signerPick, delta) => {
        const tx = txPick % t.txs.length;
        const signers = t.txs[tx]?.signers as readonly number[];
        const who = signers[signerPick % signers.length] as number;
        const err = catchError(() =>
          signTreeSimulated(t, sks, {
            tamper: (i, p, psig) => (i === tx && p === who ? addToLastByte(psig, delta) : psig),
          }),
        );
        expect(err).toBeInstanceOf(SigningError);
        expect((err as SigningError).tx).toBe(tx);
        expect((err as SigningError).signer).toBe(who);
      }),
      { numRuns: runs },
    );
  });

  it('blames the LSP (participant 0) for its own bad partial signature, and reports every failing transaction', () => {
    const t = tree(4, DEFAULT_SHAPE);
    const sks = fixtureSecretKeys(4);
    const last = t.txs.length - 1;
    const err = catchError(() =>
      signTreeSimulated(t, sks, {
        tamper: (i, p, psig) => ((i === 1 && p === 0) || (i === last && p === 4) ? flip(psig) : psig),
      }),
    );
    expect(err).toBeInstanceOf(SigningError);
    expect((err as SigningError).tx).toBe(1);
    expect((err as SigningError).signer).toBe(0);
    expect((err as SigningError).message).toMatch(new RegExp(`tx ${last}: participant\\(s\\) 4`));
  });

  it('rejects secret keys that do not match the proposal', () => {
    const t = tree(2, DEFAULT_SHAPE);
    const sks = fixtureSecretKeys(2);
    expect(() =>
      signTreeSimulated(t, [sks[0] as Uint8Array, sks[2] as Uint8Array, sks[1] as Uint8Array]),
    ).toThrow(InvalidArgumentError);
    expect(() => signTreeSimulated(t, sks.slice(0, 2))).toThrow(InvalidArgumentError);
    expect(() => signTreeSimulated(t, [sks[1] as Uint8Array, ...sks.slice(1)])).toThrow(/LSP key/);
  });
});

function flip(b: Uint8Array): Uint8Array {
  const c = Uint8Array.from(b);
  c[31] = (c[31] as number) ^ 1;
  return c;
}

function addToLastByte(b: Uint8Array, d: number): Uint8Array {
  const c = Uint8Array.from(b);
  c[31] = ((c[31] as number) + d) & 0xff;
  return c;
}

function catchError(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}
