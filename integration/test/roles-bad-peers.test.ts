// Bad peers (brief §12, issue 21 "Bad peers"; roles memo §3): every message is untrusted. Each fault
// is a typed error with its consequence — ignore (a replay), a `warning` (out of order, an unknown
// factory, a message the role never receives), `error` + disconnect (not a message; a peer that is
// not the factory's participant or not the client's LSP), or abort (a wrong nonce set, a wrong
// partial, a proposal or funding that does not match, a signature that does not verify) — and nothing
// acknowledged is lost.
import { Client, type ClientEvent } from '@superscalar/client';
import { toHex } from '@superscalar/core';
import type { Lsp, LspEvent } from '@superscalar/lsp';
import { decodeTx, encodeTxNoWitness, txidOf } from '@superscalar/tx';
import type { FactoryPropose, Message } from '@superscalar/wire';
import { afterEach, describe, expect, test } from 'vitest';
import { clientOf, factoryOf, lspFactories, type RoleNode, registerAll, World } from '../harness/index.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const kinds = async (n: RoleNode) => (await n.events()).map((e) => e.kind);

async function mineUntilOpen(w: World): Promise<void> {
  for (let i = 0; i < 4 && lspFactories(w)[0]?.phase !== 'open'; i++) await w.mine(1);
}

/** Sends `message` from `from` to `to` now (as if `from` wrote it), and runs until quiet. */
async function inject(w: World, from: RoleNode, to: RoleNode, message: Message): Promise<void> {
  w.net.send(from.nodeId, to.nodeId, message);
  await w.drive();
}

describe('the LSP refuses', () => {
  test('a value that is not a message: error and disconnect', async () => {
    const w = await World.create({ seed: 'bad-not-message', clients: 1 });
    world = w;
    await w.connectAll();
    const peer = (w.clients[0] as RoleNode).nodeId;
    const actions = (w.lsp.machine as unknown as Lsp).handle(
      { type: 'message', peer, message: {} as Message },
      w.clock.now(),
    );
    expect(actions.map((a) => a.kind)).toEqual(['send', 'disconnect']);
    expect(actions[0]).toMatchObject({ kind: 'send', message: { type: 'error' } });
  });

  test('a message an LSP never receives, and one out of order: a warning, the ceremony goes on', async () => {
    const w = await World.create({ seed: 'bad-order', clients: 2, lspPolicy: { maxClients: 2 } });
    world = w;
    const c0 = w.clients[0] as RoleNode;
    let held: Message | undefined;
    // Hold c0's round-1 nonces back, and send its round-2 partials first.
    w.net.interceptors.push((from, _to, m) => {
      if (from === c0.nodeId && m.type === 'factory_nonces' && held === undefined) {
        held = m;
        return null;
      }
      return undefined;
    });
    await registerAll(w);
    const f = factoryOf(w);
    await inject(w, c0, w.lsp, {
      type: 'factory_psigs',
      factoryId: Buffer.from(f.factoryId, 'hex'),
      attempt: 0,
      psigs: [],
      distributionPsigs: [],
    });
    expect(w.messages('warning', w.lsp).filter((d) => d.to === c0.nodeId)).toHaveLength(1);
    await inject(w, c0, w.lsp, {
      type: 'init',
      versions: [1],
      features: new Uint8Array(0),
      network: 'regtest',
    });
    expect(w.messages('warning', w.lsp).filter((d) => d.to === c0.nodeId)).toHaveLength(2);
    await inject(w, c0, w.lsp, held as Message);
    await mineUntilOpen(w);
    expect(factoryOf(w).phase).toBe('open');
    expect(await kinds(w.lsp)).not.toContain('CeremonyAborted');
  });

  test('a factory id it does not know: a warning', async () => {
    const w = await World.create({ seed: 'bad-unknown', clients: 1 });
    world = w;
    await w.connectAll();
    const c0 = w.clients[0] as RoleNode;
    await inject(w, c0, w.lsp, {
      type: 'factory_nonces',
      factoryId: new Uint8Array(32).fill(7),
      attempt: 0,
      nonces: [],
      distributionNonces: [],
    });
    expect(w.messages('warning', w.lsp)).toHaveLength(1);
    expect(w.net.isUp(c0.nodeId, w.lsp.nodeId)).toBe(true);
  });

  test('a replayed factory_nonces is ignored (no warning, no abort); a different second set aborts without the client', async () => {
    const w = await World.create({ seed: 'bad-replay', clients: 3, lspPolicy: { maxClients: 3 } });
    world = w;
    const c1 = w.clients[1] as RoleNode;
    const c2 = w.clients[2] as RoleNode;
    let gate = true;
    w.net.interceptors.push((from, _to, m) =>
      gate && from === c2.nodeId && m.type === 'factory_nonces' ? null : undefined,
    );
    await registerAll(w);
    const mine = w.messages('factory_nonces', c1)[0]?.message as Message;
    await inject(w, c1, w.lsp, mine); // the same message again
    expect(w.messages('warning', w.lsp)).toHaveLength(0);
    expect(await kinds(w.lsp)).not.toContain('CeremonyAborted');
    // A second set for the same attempt with two public nonces swapped: not the same message.
    const first = mine as Extract<Message, { type: 'factory_nonces' }>;
    expect(first.nonces.length).toBeGreaterThan(1);
    const swapped = first.nonces.map((n, i) => ({
      ...n,
      pubnonce: (first.nonces[i === 0 ? 1 : i === 1 ? 0 : i] as (typeof first.nonces)[number]).pubnonce,
    }));
    await inject(w, c1, w.lsp, { ...first, nonces: swapped });
    const aborted = (await w.lsp.events()).find((e) => e.kind === 'CeremonyAborted') as Extract<
      LspEvent,
      { kind: 'CeremonyAborted' }
    >;
    expect(aborted).toMatchObject({ reason: 'signing_failed', dropped: [c1.nodeId] });
    gate = false;
  });

  test('a wrong nonce set (another transaction than its path) aborts the ceremony without the client', async () => {
    const w = await World.create({ seed: 'bad-nonce-set', clients: 3, lspPolicy: { maxClients: 3 } });
    world = w;
    const liar = w.clients[0] as RoleNode;
    w.net.interceptors.push((from, _to, m) =>
      from === liar.nodeId && m.type === 'factory_nonces' && m.attempt === 0
        ? { ...m, nonces: m.nonces.map((n, i) => (i === m.nonces.length - 1 ? { ...n, tx: n.tx + 1 } : n)) }
        : undefined,
    );
    await registerAll(w);
    const aborted = (await w.lsp.events()).find((e) => e.kind === 'CeremonyAborted');
    expect(aborted).toMatchObject({ reason: 'signing_failed', dropped: [liar.nodeId] });
    await mineUntilOpen(w);
    expect(factoryOf(w).participants).not.toContain(liar.nodeId);
    expect(factoryOf(w).phase).toBe('open');
  });

  test('partial signatures for other jobs than its own abort the ceremony without the client', async () => {
    const w = await World.create({ seed: 'bad-psig-set', clients: 3, lspPolicy: { maxClients: 3 } });
    world = w;
    const liar = w.clients[2] as RoleNode;
    w.net.interceptors.push((from, _to, m) =>
      from === liar.nodeId && m.type === 'factory_psigs' ? { ...m, psigs: m.psigs.slice(1) } : undefined,
    );
    await registerAll(w);
    const aborted = (await w.lsp.events()).find((e) => e.kind === 'CeremonyAborted');
    expect(aborted).toMatchObject({ reason: 'signing_failed', dropped: [liar.nodeId] });
  });
});

/** A copy of `m` with its funding transaction's output 0 rewritten and the proposal's funding fixed up. */
function tamperFunding(
  m: FactoryPropose,
  edit: (out: { value: bigint; script: Uint8Array }) => { value: bigint; script: Uint8Array },
): FactoryPropose {
  const tx = decodeTx(m.fundingTx);
  const outputs = tx.outputs.map((o, i) => (i === m.proposal.funding.vout ? edit(o) : o));
  const changed = { ...tx, outputs };
  const out = outputs[m.proposal.funding.vout] as { value: bigint };
  return {
    ...m,
    fundingTx: encodeTxNoWitness(changed),
    proposal: { ...m.proposal, funding: { ...m.proposal.funding, txid: txidOf(changed), amount: out.value } },
  };
}

describe('the client refuses a proposal that does not match', () => {
  const cases: [string, (m: FactoryPropose, victim: number) => FactoryPropose][] = [
    [
      'a funding output that does not pay the tree',
      (m) =>
        tamperFunding(m, (o) => ({ ...o, script: Uint8Array.of(0x51, 0x20, ...new Uint8Array(32).fill(9)) })),
    ],
    [
      "a funding amount that is not the tree's requirement",
      (m) => tamperFunding(m, (o) => ({ ...o, value: o.value + 1000n })),
    ],
    [
      'its own entry changed (another close address)',
      (m, i) => ({
        ...m,
        proposal: {
          ...m.proposal,
          // Pays the LSP's close address instead of the client's.
          clients: m.proposal.clients.map((c, j) =>
            j === i ? { ...c, closeScript: m.proposal.lsp.closeScript } : c,
          ),
        },
      }),
    ],
    [
      'its own balance changed',
      (m, i) => ({
        ...m,
        proposal: {
          ...m.proposal,
          clients: m.proposal.clients.map((c, j) => (j === i ? { ...c, balance: c.balance - 1n } : c)),
        },
      }),
    ],
  ];
  for (const [name, tamper] of cases)
    test(`${name}: factory_abort INVALID_PROPOSAL, no nonce sent, the proposal forgotten`, async () => {
      const w = await World.create({
        seed: `bad-proposal-${name}`,
        clients: 2,
        lspPolicy: { maxClients: 2 },
      });
      world = w;
      const victim = w.clients[1] as RoleNode;
      w.net.interceptors.push((_from, to, m) => {
        if (to !== victim.nodeId || m.type !== 'factory_propose') return undefined;
        const i = m.proposal.clients.findIndex(
          (c) => toHex(c.key) === clientOf(victim).registrations()[0]?.factoryKey,
        );
        return tamper(m, i);
      });
      await registerAll(w);
      const refused = (await victim.events()).find((e) => e.kind === 'CeremonyAborted') as Extract<
        ClientEvent,
        { kind: 'CeremonyAborted' }
      >;
      expect(refused).toMatchObject({ reason: 'invalid_proposal', byLsp: false });
      expect(refused.text).toMatch(/CLIENT_|funding|client|clients|proposal|path/);
      const aborts = w.messages('factory_abort', victim);
      expect(aborts).toHaveLength(1);
      expect(aborts[0]?.message).toMatchObject({ reason: 2 });
      expect(w.messages('factory_nonces', victim)).toHaveLength(0);
      expect(clientOf(victim).factories()).toHaveLength(0);
      expect(clientOf(victim).registrations()[0]?.status).toBe('used');
    });
});

describe('the client refuses', () => {
  test('a factory_signed whose signature does not verify: it aborts, and the LSP forms again without it', async () => {
    const w = await World.create({ seed: 'bad-signed', clients: 3, lspPolicy: { maxClients: 3 } });
    world = w;
    const victim = w.clients[0] as RoleNode;
    w.net.interceptors.push((_from, to, m) => {
      if (to !== victim.nodeId || m.type !== 'factory_signed') return undefined;
      const s = m.signatures[0] as (typeof m.signatures)[number];
      const sig = Uint8Array.from(s.signature);
      sig[63] = ((sig[63] as number) ^ 1) & 0xff;
      return { ...m, signatures: [{ ...s, signature: sig }, ...m.signatures.slice(1)] };
    });
    await registerAll(w);
    const refused = (await victim.events()).find((e) => e.kind === 'CeremonyAborted');
    expect(refused).toMatchObject({ byLsp: false, reason: 'signing_failed' });
    expect(w.messages('channel_setup', victim)).toHaveLength(0); // nothing after a bad signature
    const lspAbort = (await w.lsp.events()).find((e) => e.kind === 'CeremonyAborted');
    expect(lspAbort).toMatchObject({ dropped: [victim.nodeId] });
    await mineUntilOpen(w);
    expect(factoryOf(w).participants).not.toContain(victim.nodeId);
  });

  test('a message from a peer that is not its LSP: error and disconnect', async () => {
    const w = await World.create({ seed: 'bad-not-lsp', clients: 2 });
    world = w;
    const c = clientOf(w.clients[0] as RoleNode);
    const stranger = (w.clients[1] as RoleNode).nodeId;
    const actions = c.handle(
      {
        type: 'message',
        peer: stranger,
        message: { type: 'factory_funded', factoryId: new Uint8Array(32), txid: '00'.repeat(32), vout: 0 },
      },
      0,
    );
    expect(actions.map((a) => a.kind)).toEqual(['disconnect']);
    expect(actions[0]).toMatchObject({ peer: stranger });
    expect(Client.name).toBe('Client');
  });
});
