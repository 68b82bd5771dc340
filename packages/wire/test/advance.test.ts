// The advance messages (brief §5): advance_propose carries every re-signed leaf's allocation and each
// channel's liquidity fee, which a client checks (factory-tree's planClientAdvance on its own path,
// poon-dryja's capacity-change rebinding) before it signs; the rebinding material flows both ways
// (the LSP's nonce and its half of the client's rebound commitment in advance_agg_nonces, before the
// client signs the tree); the size bounds are what a client signs in an advance.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  type AdvancePlan,
  advanceCounters,
  buildClientPath,
  buildTree,
  type FactoryTree,
  type LeafAllocation,
  planAdvance,
  planClientAdvance,
} from '@superscalar/factory-tree';
import {
  buildCommitment,
  CapacityChangeRejectedError,
  Channel,
  type ChannelAction,
  type ChannelEvent,
  type ChannelInput,
  perCommitmentPoint,
  rebindCommitment,
  type Side,
} from '@superscalar/poon-dryja';
import { describe, expect, it } from 'vitest';
import { hash, pubnonce, sampleProposal, scalar, sig } from '../scripts/_samples.js';
import {
  type AdvanceAggNonces,
  type AdvanceNonces,
  type AdvancePropose,
  type AdvancePsigs,
  clientAdvanceTerms,
  clientLimits,
  decodeMessage,
  encodeMessage,
  lspLimits,
  type Message,
} from '../src/index.js';
import { err } from './_err.js';

const factoryId = hash('advance factory');
const channelId = hash('advance channel');
const roundTrip = <T extends Message>(m: T, limits?: Parameters<typeof decodeMessage>[1]): T =>
  decodeMessage(encodeMessage(m), limits) as T;

/** The `advance_propose` the LSP sends for `plan`, with a liquidity fee for `buyer`. */
function proposeOf(plan: AdvancePlan, buyer: number, feeMsat: bigint): AdvancePropose {
  const { layout, state } = plan.next;
  return {
    type: 'advance_propose',
    factoryId,
    advanceId: 7,
    leaf: plan.dw.created.find((c) => c.node === plan.dw.advancedNode)?.leaf ?? plan.dw.created[0]?.leaf ?? 0,
    kind: plan.kind === 'leaf' ? 'leaf' : plan.dw.epochReset ? 'epoch-reset' : 'carry',
    allocations: plan.dw.created.map((c) => {
      const a = state.allocations[c.leaf] as LeafAllocation;
      return {
        leaf: c.leaf,
        channels: (layout.leafClients[c.leaf] as readonly number[]).map((cl, i) => ({
          client: cl + 1,
          capacity: a.capacities[i] as bigint,
          liquidityFeeMsat: cl === buyer ? feeMsat : 0n,
        })),
        lStock: a.lStock,
      };
    }),
    created: plan.dw.created.map((c) => ({
      leaf: c.leaf,
      counter: c.counter,
      poisonHash: sha256(Uint8Array.of(c.counter)),
    })),
  };
}

function sell(tree: FactoryTree, leaf: number, amount: bigint): AdvancePlan {
  const cs = advanceCounters(tree, leaf);
  const a = tree.state.allocations[leaf] as LeafAllocation;
  return planAdvance(tree, {
    leaf,
    allocations: new Map([
      [
        leaf,
        { capacities: a.capacities.map((c, i) => (i === 0 ? c + amount : c)), lStock: a.lStock - amount },
      ],
    ]),
    poisonHashes: new Map(cs.map((c) => [c, sha256(Uint8Array.of(c))])),
  });
}

describe('advance_propose: every re-signed leaf, each channel’s liquidity fee, checked by the client', () => {
  const proposal = sampleProposal(8);
  const tree = buildTree(proposal);
  const leaf = 1;
  const [buyer, other] = tree.layout.leafClients[leaf] as [number, number];
  const plan = sell(tree, leaf, 30_000n);
  const propose = proposeOf(plan, buyer, 1_500_000n);
  const path = buildClientPath(proposal, buyer);
  const depth = new Set(path.txs.map((t) => t.node)).size;
  const limits = lspLimits({ depth, pathTxs: path.txs.length, clients: 8, extensionBytes: 0 });

  it('round-trips within the bounds a client applies, and the client derives the LSP’s plan from it', () => {
    const m = roundTrip(propose, { maxSizeByType: limits });
    expect(m).toEqual(propose);
    for (const c of [buyer, other]) {
      const p = buildClientPath(proposal, c);
      const terms = clientAdvanceTerms(m, { client: c, leaf: p.leaf, leafClients: [buyer, other] });
      expect(terms?.liquidityFeeMsat).toBe(c === buyer ? 1_500_000n : 0n);
      expect(terms?.capacity).toBe(c === buyer ? 130_000n : 100_000n);
      const mine = planClientAdvance(p, terms?.request as NonNullable<typeof terms>['request']);
      const onPath = new Set(plan.next.layout.leafPaths[leaf]);
      expect(mine.newTxs.map((t) => t.txid)).toEqual(
        plan.newTxs.filter((t) => onPath.has(t.index)).map((t) => t.txid),
      );
    }
    // A client of a leaf the advance does not re-sign has nothing to sign.
    const outsider = (tree.layout.leafClients[0] as readonly number[])[0] as number;
    expect(clientAdvanceTerms(m, { client: outsider, leaf: 0, leafClients: [outsider] })).toBeUndefined();
  });

  it('a retry names its attempt (odd TLV 13): absent is attempt 0 and leaves the bytes unchanged', () => {
    expect(roundTrip(propose).attempt).toBeUndefined();
    const retried = roundTrip({ ...propose, attempt: 2 });
    expect(retried.attempt).toBe(2);
    const { attempt: _a, ...rest } = retried;
    expect(encodeMessage(rest as AdvancePropose)).toEqual(encodeMessage(propose));
    // A peer that predates the field keeps it as an unknown odd record (it is ignorable).
    const bytes = encodeMessage({ ...propose, attempt: 2 });
    expect(bytes.length).toBe(encodeMessage(propose).length + 4);
    const nonces: AdvanceNonces = {
      type: 'advance_nonces',
      factoryId,
      advanceId: 3,
      nonces: [{ kind: 'state', index: 1, pubnonce: pubnonce('n') }],
      rebindingNonces: [{ channelId, verificationNonce: pubnonce('v') }],
      attempt: 1,
    };
    expect(roundTrip(nonces)).toEqual(nonces);
  });

  it("the buyer's channel rebinds with the new capacity and fee; a fee above its balance is refused", () => {
    const terms = clientAdvanceTerms(propose, { client: buyer, leaf, leafClients: [buyer, other] });
    const key = (l: string) => secp256k1.getPublicKey(sha256(new TextEncoder().encode(l)), true);
    const bp = (w: string) => ({
      revocation: key(`${w} r`),
      payment: key(`${w} p`),
      delayedPayment: key(`${w} d`),
      htlc: key(`${w} h`),
    });
    const config = {
      lspFundingKey: proposal.lsp.key,
      clientFundingKey: (proposal.clients[buyer] as { key: Uint8Array }).key,
      channelTimeout: 5_000,
      toSelfDelay: 6,
      lspBasepoints: bp('lsp'),
      clientBasepoints: bp('client'),
    };
    const oldState = plan.superseded[0]?.stateTx;
    const old = buildCommitment(
      config,
      { txid: oldState?.txid as string, vout: 0, amount: 100_000n },
      {
        holder: 'client',
        commitmentNumber: 4,
        perCommitmentPoint: perCommitmentPoint(new Uint8Array(32).fill(3)),
        lspBalanceMsat: 60_000_000n,
        clientBalanceMsat: 40_000_000n,
        htlcs: [],
        feeRate: 1_000,
      },
    );
    const newState = plan.newTxs[plan.newTxs.length - 1];
    const at = { txid: newState?.txid as string, vout: 0, amount: terms?.capacity as bigint };
    const rebound = rebindCommitment(old, at, { liquidityFeeMsat: terms?.liquidityFeeMsat as bigint });
    expect(rebound.spec.clientBalanceMsat).toBe(38_500_000n);
    expect(rebound.spec.lspBalanceMsat).toBe(60_000_000n + 30_000_000n + 1_500_000n);
    const greedy = clientAdvanceTerms(proposeOf(plan, buyer, 40_000_001n), {
      client: buyer,
      leaf,
      leafClients: [buyer, other],
    });
    const e = (() => {
      try {
        rebindCommitment(old, at, { liquidityFeeMsat: greedy?.liquidityFeeMsat as bigint });
      } catch (x) {
        return x;
      }
    })();
    expect(CapacityChangeRejectedError.isInstance(e)).toBe(true);
    expect((e as CapacityChangeRejectedError).rule).toBe('fee-above-balance');
  });

  it('cross-field rules: consecutive counters over increasing leaves, one allocation per created leaf, kind and leaf', () => {
    const carry: AdvancePropose = {
      ...propose,
      kind: 'carry',
      allocations: [
        propose.allocations[0] as AdvancePropose['allocations'][number],
        { ...(propose.allocations[0] as AdvancePropose['allocations'][number]), leaf: 2 },
      ],
      created: [
        propose.created[0] as AdvancePropose['created'][number],
        { leaf: 2, counter: (propose.created[0]?.counter as number) + 1, poisonHash: hash('c2') },
      ],
    };
    expect(roundTrip(carry)).toEqual(carry);
    const bad: [string, AdvancePropose][] = [
      [
        'created[1].counter',
        {
          ...carry,
          created: [
            carry.created[0],
            { ...carry.created[1], counter: (carry.created[1]?.counter as number) + 1 },
          ],
        } as AdvancePropose,
      ],
      [
        'created[1].leaf',
        { ...carry, created: [carry.created[0], { ...carry.created[1], leaf: 0 }] } as AdvancePropose,
      ],
      ['allocations', { ...carry, allocations: carry.allocations.slice(0, 1) }],
      ['leaf', { ...carry, leaf: 5 }],
      ['created', { ...carry, kind: 'leaf' }],
      ['created', { ...propose, kind: 'carry' }],
    ];
    for (const [field, m] of bad) {
      const e = err(() => encodeMessage(m));
      expect(e.code).toBe('WIRE_INVALID_ARGUMENT');
      expect(e.field).toBe(`advance_propose.${field}`);
    }
    // The same rule on bytes from a peer: the second counter patched (it precedes its poison hash).
    const bytes = encodeMessage(carry);
    const h = hash('c2');
    const at = bytes.findIndex((_, k) => h.every((x, j) => bytes[k + j] === x));
    expect(at).toBeGreaterThan(8);
    const patched = Uint8Array.from(bytes);
    patched[at - 1] = (patched[at - 1] as number) + 1;
    const d = err(() => decodeMessage(patched));
    expect(d.code).toBe('WIRE_INVALID_VALUE');
    expect(d.field).toBe('advance_propose.created[1].counter');
    // A channel list that is not the client's leaf's: the client's own check.
    const swapped: AdvancePropose = {
      ...propose,
      allocations: [
        {
          ...(propose.allocations[0] as AdvancePropose['allocations'][number]),
          channels: [{ client: 1, capacity: 1n, liquidityFeeMsat: 0n }],
        },
      ],
    };
    const e = err(() => clientAdvanceTerms(swapped, { client: buyer, leaf, leafClients: [buyer, other] }));
    expect(e.code).toBe('WIRE_INVALID_VALUE');
    expect(e.field).toBe('advance_propose.allocations[0].channels');
  });
});

describe('rebinding material both ways through the advance messages (brief §5.4)', () => {
  it('the client completes its rebound commitment from advance_agg_nonces before it sends advance_psigs', () => {
    const sk = (s: string) => sha256(new TextEncoder().encode(s));
    const pk = (s: string) => secp256k1.getPublicKey(sk(s), true);
    const bp = (w: string) => ({
      revocation: pk(`${w} r`),
      payment: pk(`${w} p`),
      delayedPayment: pk(`${w} d`),
      htlc: pk(`${w} h`),
    });
    const config = {
      lspFundingKey: pk('lsp f'),
      clientFundingKey: pk('client f'),
      channelTimeout: 5_000,
      toSelfDelay: 144,
      lspBasepoints: bp('lsp'),
      clientBasepoints: bp('client'),
    };
    const policy = {
      reserve: 10_000n,
      maxDustExposure: 10_000n,
      maxAcceptedHtlcs: 114,
      exitDelay: 432,
      pathTxs: 6,
      exitMargin: 144,
      htlcBudget: 72,
      dyingHeight: 4_000,
    };
    const peers = {} as Record<Side, { channel: Channel; events: ChannelEvent[]; persists: number[] }>;
    const inbox: [Side, ChannelAction][] = [];
    for (const role of ['lsp', 'client'] as const) {
      const { channel, actions } = Channel.open(
        {
          channelId,
          role,
          config,
          policy,
          funding: { txid: 'ab'.repeat(32), vout: 0, amount: 1_000_000n },
          initialClientBalanceMsat: 300_000_000n,
          feeRate: 1_000,
          height: 100,
        },
        {
          fundingSecret: sk(`${role} f`),
          shachainSeed: sk(`${role} seed`),
          revocationBasepointSecret: sk(`${role} r`),
        },
        { sweepScript: Uint8Array.of(0x51, 0x20, ...pk(`${role} sweep`).slice(1)) },
      );
      peers[role] = { channel, events: [], persists: [] };
      for (const a of actions) inbox.push([role, a]);
    }
    const handle = (side: Side, input: ChannelInput) => {
      for (const a of peers[side].channel.handle(input)) inbox.push([side, a]);
      drain();
    };
    function drain() {
      for (let next = inbox.shift(); next; next = inbox.shift()) {
        const [at, a] = next;
        const to: Side = at === 'lsp' ? 'client' : 'lsp';
        if (a.kind === 'send')
          for (const x of peers[to].channel.handle({ type: 'message', message: a.message }))
            inbox.push([to, x]);
        else if (a.kind === 'persist')
          for (const x of peers[at].channel.handle({ type: 'persisted', token: a.token }))
            inbox.push([at, x]);
        else if (a.kind === 'emit') peers[at].events.push(a.event);
      }
    }
    drain();
    handle('lsp', { type: 'quiesce' });
    const last = <T extends ChannelEvent['type']>(side: Side, type: T) =>
      [...peers[side].events].reverse().find((e) => e.type === type) as Extract<ChannelEvent, { type: T }>;
    const funding = { txid: 'cd'.repeat(32), vout: 0, amount: 1_200_000n };
    const terms = { funding, liquidityFeeMsat: 1_000_000n };
    // Both sides prepare from advance_propose's terms; the client's nonce travels in advance_nonces.
    handle('lsp', { type: 'rebind_prepare', ...terms });
    handle('client', { type: 'rebind_prepare', ...terms });
    const nonces = roundTrip<AdvanceNonces>(
      {
        type: 'advance_nonces',
        factoryId,
        advanceId: 1,
        nonces: [{ kind: 'state', index: 3, pubnonce: pubnonce('t3') }],
        rebindingNonces: [{ channelId, verificationNonce: last('client', 'rebind_nonce').nonce }],
      },
      { maxSizeByType: clientLimits({ depth: 3 }) },
    );
    // The LSP signs the client's rebound commitment and sends it with its own nonce in advance_agg_nonces.
    handle('lsp', {
      type: 'rebind_sign',
      peerNonce: nonces.rebindingNonces[0]?.verificationNonce as Uint8Array,
    });
    const lspHalf = last('lsp', 'rebind_partial');
    const agg = roundTrip<AdvanceAggNonces>(
      {
        type: 'advance_agg_nonces',
        factoryId,
        advanceId: 1,
        aggNonces: [{ kind: 'state', index: 3, aggnonce: pubnonce('a3') }],
        rebindingNonces: [{ channelId, verificationNonce: last('lsp', 'rebind_nonce').nonce }],
        reboundCommitments: [
          { channelId, partialSig: lspHalf.partialSig, signingNonce: lspHalf.signingNonce },
        ],
      },
      { maxSizeByType: lspLimits({ depth: 3, clients: 4 }) },
    );
    // The client completes its own rebound commitment (verified) before signing anything of the tree.
    const rc = agg.reboundCommitments[0] as AdvanceAggNonces['reboundCommitments'][number];
    handle('client', { type: 'rebind_complete', partialSig: rc.partialSig, signingNonce: rc.signingNonce });
    expect(last('client', 'rebound').funding).toEqual(funding);
    handle('client', {
      type: 'rebind_sign',
      peerNonce: agg.rebindingNonces[0]?.verificationNonce as Uint8Array,
    });
    const clientHalf = last('client', 'rebind_partial');
    const psigs = roundTrip<AdvancePsigs>(
      {
        type: 'advance_psigs',
        factoryId,
        advanceId: 1,
        psigs: [{ kind: 'state', index: 3, psig: scalar('p3') }],
        reboundCommitments: [
          { channelId, partialSig: clientHalf.partialSig, signingNonce: clientHalf.signingNonce },
        ],
      },
      { maxSizeByType: clientLimits({ depth: 3 }) },
    );
    const back = psigs.reboundCommitments[0] as AdvancePsigs['reboundCommitments'][number];
    handle('lsp', { type: 'rebind_complete', partialSig: back.partialSig, signingNonce: back.signingNonce });
    expect(last('lsp', 'rebound').funding).toEqual(funding);
    for (const side of ['lsp', 'client'] as const) handle(side, { type: 'rebind_activate' });
    expect(peers.client.channel.forceCloseTransaction().commitment.funding).toEqual(funding);
    expect(peers.lsp.channel.localSpec?.clientMsat).toBe(299_000_000n);
    expect(peers.client.events.filter((e) => e.type === 'error')).toEqual([]);
  });
});

describe('size bounds: what a client signs in an advance (its path, its poison, its settlement, one channel)', () => {
  const depth = 4;
  const pathTxs = 7;
  const c = clientLimits({ depth, pathTxs, extensionBytes: 0 });
  const l = lspLimits({ depth, pathTxs, clients: 16, leaves: 8, extensionBytes: 0 });
  const t = pathTxs + 2;
  const refs = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ kind: 'state' as const, index: 4_000_000_000 + i }));
  const rn = [{ channelId, verificationNonce: pubnonce('v') }];
  const rb = [{ channelId, partialSig: scalar('x'), signingNonce: pubnonce('s') }];
  const messages = (n: number, leaves: number): Record<string, Message> => ({
    advance_nonces: {
      type: 'advance_nonces',
      factoryId,
      advanceId: 0xffffffff,
      nonces: refs(n).map((r) => ({ ...r, pubnonce: pubnonce('n') })),
      rebindingNonces: rn,
      attempt: 0xffff,
    },
    advance_psigs: {
      type: 'advance_psigs',
      factoryId,
      advanceId: 1,
      psigs: refs(n).map((r) => ({ ...r, psig: scalar('p') })),
      reboundCommitments: rb,
      attempt: 0xffff,
    },
    advance_agg_nonces: {
      type: 'advance_agg_nonces',
      factoryId,
      advanceId: 1,
      aggNonces: refs(n).map((r) => ({ ...r, aggnonce: pubnonce('a') })),
      rebindingNonces: rn,
      reboundCommitments: rb,
      attempt: 0xffff,
    },
    advance_done: {
      type: 'advance_done',
      factoryId,
      advanceId: 1,
      signatures: refs(n).map((r) => ({ ...r, signature: sig('d') })),
    },
    advance_propose: {
      type: 'advance_propose',
      factoryId,
      advanceId: 1,
      leaf: 4_000_000_000,
      kind: leaves === 1 ? 'leaf' : 'epoch-reset',
      allocations: Array.from({ length: leaves }, (_, i) => ({
        leaf: 4_000_000_000 + i,
        channels: [1, 2].map((k) => ({
          client: 4_000_000_000 + 2 * i + k,
          capacity: 2_100_000_000_000_000n,
          liquidityFeeMsat: (1n << 64n) - 1n,
        })),
        lStock: 1n,
      })),
      created: Array.from({ length: leaves }, (_, i) => ({
        leaf: 4_000_000_000 + i,
        counter: 2 ** 47 + i,
        poisonHash: hash(`p${i}`),
      })),
      attempt: 0xffff,
    },
  });

  it('each bound is the largest encoding: the shape fits exactly, one more entry does not', () => {
    const fit = messages(t, 8);
    const over = messages(t + 1, 9);
    for (const [name, limits] of [
      ['advance_nonces', c],
      ['advance_psigs', c],
      ['advance_agg_nonces', l],
      ['advance_done', l],
      ['advance_propose', l],
    ] as const) {
      const bytes = encodeMessage(fit[name] as Message);
      expect([name, bytes.length]).toEqual([name, limits[name]]);
      expect(decodeMessage(bytes, { maxSizeByType: limits }).type).toBe(name);
      const e = err(() => decodeMessage(encodeMessage(over[name] as Message), { maxSizeByType: limits }));
      expect(e.code).toBe('WIRE_MESSAGE_TOO_LARGE');
    }
    const secret: Message = { type: 'lstock_secret', factoryId, counter: 2 ** 48 - 1, secret: hash('s') };
    expect(encodeMessage(secret).length).toBe(l.lstock_secret);
    // The extension room on top.
    expect(clientLimits({ depth, pathTxs }).advance_nonces).toBe((c.advance_nonces as number) + 1024);
  });
});
