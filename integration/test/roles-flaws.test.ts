// Brief §12 flaws 2, 3 and 10 must be impossible here; each test fails on the C behaviour.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { compareBytes, toHex } from '@superscalar/core';
import {
  buildDistribution,
  buildTree,
  ceremonyJobs,
  createProposal,
  fundingOutput,
  poisonHashesFromSeed,
} from '@superscalar/factory-tree';
import type { Lsp } from '@superscalar/lsp';
import { schnorrVerify } from '@superscalar/musig2';
import { clientLimits, type Message } from '@superscalar/wire';
import { afterEach, describe, expect, test } from 'vitest';
import { clientOf, factoryOf, lspFactories, type RoleNode, registerAll, World } from '../harness/index.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function mineUntilOpen(w: World): Promise<void> {
  for (let i = 0; i < 4 && lspFactories(w)[0]?.phase !== 'open'; i++) await w.mine(1);
}

describe("flaw 2: every aggregate key is KeyAgg(KeySort(keys)), whatever the clients' order", () => {
  test('the same clients registered in two orders: the same funding key, sorted signer keys, both ceremonies open', async () => {
    const results: { order: string[]; funding: string; channelKeys: Map<string, string> }[] = [];
    for (const reverse of [false, true]) {
      const w = await World.create({
        seed: 'keysort',
        clients: 4,
        lspPolicy: { maxClients: 4, placement: 'inward' },
      });
      world = w;
      const order = reverse ? [...w.clients].reverse() : [...w.clients];
      for (const c of order) {
        await registerAll(w, { capacity: 20_000n + BigInt(order.indexOf(c)) * 1000n, balance: 10_000n }, [c]);
        w.clock.advance(1);
      }
      if (lspFactories(w).length === 0) await w.command(w.lsp, { type: 'form_factory' });
      await mineUntilOpen(w);
      const f = factoryOf(w);
      expect(f.phase).toBe('open');
      const p = f.proposal;
      const tree = buildTree(p);
      for (const job of ceremonyJobs(tree, buildDistribution(tree)))
        for (let i = 1; i < job.pubkeys.length; i++)
          expect(compareBytes(job.pubkeys[i - 1] as Uint8Array, job.pubkeys[i] as Uint8Array)).toBeLessThan(
            0,
          );
      for (const c of w.clients)
        for (const s of clientOf(c).signedPath(f.factoryId) ?? [])
          expect(schnorrVerify(s.signature, s.sighash, s.outputKey)).toBe(true);
      const names = p.clients.map(
        (cl) =>
          w.clients.find((c) =>
            clientOf(c)
              .registrations()
              .some((r) => r.factoryKey === toHex(cl.key)),
          )?.name as string,
      );
      results.push({
        order: names,
        funding: toHex(tree.funding.outputKey),
        channelKeys: new Map(
          tree.txs.flatMap((t) =>
            t.outputRoles.flatMap((r, i) =>
              r.kind === 'channel'
                ? [[names[r.client] as string, toHex(t.outputTaproot[i]?.internalKey as Uint8Array)]]
                : [],
            ),
          ) as [string, string][],
        ),
      });
      await w.close();
      world = undefined;
    }
    const [a, b] = results as [(typeof results)[number], (typeof results)[number]];
    expect(a.order).not.toEqual(b.order); // listed in different orders
    expect(a.funding).toBe(b.funding); // KeyAgg(KeySort): the same funding key
    expect(a.channelKeys).toEqual(b.channelKeys); // each channel's KeyAgg({LSP, client}) too
  });

  test("every permutation of the clients' list gives the same funding key", () => {
    const lsp = { key: pub(1), closeScript: p2tr(pub(1)) };
    const base = [2, 3, 4].map((i) => ({
      key: pub(i),
      closeScript: p2tr(pub(i)),
      capacity: 20_000n + BigInt(i),
      balance: 1_000n,
    }));
    const perms = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ];
    const outs = perms.map((perm) => {
      const clients = perm.map((i) => base[i] as (typeof base)[number]);
      const p = createProposal({
        network: 'regtest',
        proposalHeight: 100,
        lsp,
        clients,
        funding: { txid: '11'.repeat(32), vout: 0, amount: 200_000n },
        poisonHashes: poisonHashesFromSeed(new Uint8Array(32).fill(1), 2),
      });
      return toHex(
        fundingOutput(
          p.lsp.key,
          p.clients.map((c) => c.key),
        ).outputKey,
      );
    });
    expect(new Set(outs).size).toBe(1);
  });
});

function pub(i: number): Uint8Array {
  return secp256k1.getPublicKey(new Uint8Array(32).fill(i), true);
}
function p2tr(pk: Uint8Array): Uint8Array {
  return Uint8Array.of(0x51, 0x20, ...pk.slice(1));
}

/** What `node` sent `to` of `type` (an `error` leaves just before the connection closes). */
function sentTo(node: RoleNode, to: RoleNode, type: string) {
  return node.trace
    .flatMap((t) => t.actions)
    .filter((a) => a.kind === 'send' && a.peer === to.nodeId && a.message.type === type);
}

describe('flaw 3: the LSP trusts only the node ids the runtime proved', () => {
  test("a peer replaying a participant's messages under its own id is refused (error, disconnect) and the factory opens without harm", async () => {
    const w = await World.create({ seed: 'identity', clients: 4, lspPolicy: { maxClients: 3 } });
    world = w;
    const [c0, c1, c2, rogue] = w.clients as [RoleNode, RoleNode, RoleNode, RoleNode];
    let held: Message | undefined;
    w.net.interceptors.push((from, _to, m) => {
      if (from === c1.nodeId && m.type === 'factory_nonces' && held === undefined) {
        held = m;
        return null;
      }
      return undefined;
    });
    await registerAll(w, undefined, [c0, c1, c2]);
    await w.connect(rogue);
    await w.drive();
    const f = factoryOf(w);
    expect(f.participants).not.toContain(rogue.nodeId);
    // The rogue claims c1's place: c1's own nonces, under its (proven) id.
    w.net.send(rogue.nodeId, w.lsp.nodeId, held as Message);
    await w.drive();
    expect(sentTo(w.lsp, rogue, 'error')).toHaveLength(1);
    expect(
      w.lsp.trace.flatMap((t) => t.actions).filter((a) => a.kind === 'disconnect' && a.peer === rogue.nodeId),
    ).toHaveLength(1);
    expect((w.lsp.machine as unknown as Lsp).factory(f.factoryId)?.step).toBe('nonces'); // c1 still owes its nonces
    // c1's own message counts; the ceremony goes on and opens.
    w.net.send(c1.nodeId, w.lsp.nodeId, held as Message);
    await w.drive();
    await mineUntilOpen(w);
    expect(factoryOf(w).phase).toBe('open');
    expect((await w.lsp.events()).map((e) => e.kind)).not.toContain('CeremonyAborted');
    // Nor can it reestablish the factory (it reconnected, as a client runtime does).
    expect(w.net.isUp(rogue.nodeId, w.lsp.nodeId)).toBe(true);
    w.net.send(rogue.nodeId, w.lsp.nodeId, {
      type: 'factory_reestablish',
      factoryId: Buffer.from(f.factoryId, 'hex'),
      phase: 'open',
    });
    await w.drive();
    expect(sentTo(w.lsp, rogue, 'error')).toHaveLength(2);
    expect(factoryOf(w).phase).toBe('open');
  });
});

describe('flaw 10: signing messages are O(depth) per client, not O(N²)', () => {
  test("at N = 16 and N = 64 on shapes of equal depth, each client's nonces, aggregate nonces and partials are the same size", async () => {
    const sizes: Record<number, Record<string, number[]>> = {};
    for (const [n, arity] of [
      [16, 8],
      [64, 32],
    ] as const) {
      const w = await World.create({
        seed: `depth-${n}`,
        clients: n,
        lspPolicy: { maxClients: n, levelArity: [arity] },
      });
      world = w;
      await registerAll(w);
      await mineUntilOpen(w);
      const f = factoryOf(w);
      expect(f.phase).toBe('open');
      const per: Record<string, number[]> = {};
      for (const type of ['factory_nonces', 'factory_agg_nonces', 'factory_psigs', 'factory_signed']) {
        const ds = w.messages(type);
        // One message per client and step: no matrix of every signer's nonces.
        expect(ds).toHaveLength(n);
        per[type] = ds.map((d) => d.bytes);
      }
      for (const d of w.messages('factory_nonces')) {
        const m = d.message as Extract<Message, { type: 'factory_nonces' }>;
        expect(m.nonces).toHaveLength(4); // root kickoff, root state, leaf kickoff, leaf state
      }
      const limits = clientLimits({ depth: 2, pathTxs: 4, distributionTxs: 1 });
      for (const b of per.factory_nonces as number[])
        expect(b).toBeLessThanOrEqual(limits.factory_nonces as number);
      for (const b of per.factory_psigs as number[])
        expect(b).toBeLessThanOrEqual(limits.factory_psigs as number);
      sizes[n] = per;
      await w.close();
      world = undefined;
    }
    const max = (n: number, t: string) =>
      Math.max(...((sizes[n] as Record<string, number[]>)[t] as number[]));
    for (const t of ['factory_nonces', 'factory_agg_nonces', 'factory_psigs', 'factory_signed'])
      expect(max(64, t), t).toBe(max(16, t));
  }, 240_000);
});
