// Deterministic sample values of every message (at least one per type, plus the optional-field
// variants), used by the vector generator, the fuzz seeds and the tests. Keys come from fixed tags, so
// the published vectors never change unless the format does.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { Network } from '@superscalar/core';
import {
  createProposal,
  fundingOutput,
  type Proposal,
  poisonHashesFromSeed,
  suggestShape,
} from '@superscalar/factory-tree';
import { txidOfUnsigned } from '../src/_tx.js';
import {
  channelIdOf,
  type FactoryPropose,
  factoryIdOf,
  type Message,
  scidAliasOf,
  signIdentity,
} from '../src/index.js';

const enc = new TextEncoder();
export const hash = (tag: string): Uint8Array => sha256(enc.encode(`superscalar-ts wire sample ${tag}`));

/** A deterministic valid secret key. */
export function secretKey(tag: string): Uint8Array {
  for (let ctr = 0; ; ctr++) {
    const sk = hash(`${tag}/${ctr}`);
    if (secp256k1.utils.isValidSecretKey(sk)) return sk;
  }
}
export const point = (tag: string): Uint8Array => secp256k1.getPublicKey(secretKey(tag), true);
export const pubnonce = (tag: string): Uint8Array =>
  Uint8Array.from([...point(`${tag}/R1`), ...point(`${tag}/R2`)]);
export const p2tr = (tag: string): Uint8Array => Uint8Array.from([0x51, 0x20, ...point(tag).subarray(1)]);
/** A scalar below n (a hash is, with overwhelming probability; checked). */
export const scalar = (tag: string): Uint8Array => {
  const s = hash(`scalar ${tag}`);
  s[0] = (s[0] as number) & 0x7f;
  return s;
};
export const sig = (tag: string): Uint8Array =>
  Uint8Array.from([...point(`${tag}/sigR`).subarray(1), ...scalar(`${tag}/sigs`)]);
const txid = (tag: string): string => Buffer.from(hash(`txid ${tag}`)).toString('hex');

const le = (v: bigint | number, n: number): number[] => {
  let x = BigInt(v);
  return Array.from({ length: n }, () => {
    const b = Number(x & 0xffn);
    x >>= 8n;
    return b;
  });
};

/**
 * A witness-free transaction: version 2, one input per prevout tag (empty scriptSig, as for native
 * segwit coins; sequence 0xfffffffd), the given outputs, lock time `locktime`.
 */
export function sampleTx(
  inputs: readonly string[],
  outputs: readonly { value: bigint; script: Uint8Array }[],
  locktime = 0,
): Uint8Array {
  const bytes: number[] = [...le(2, 4), inputs.length];
  for (const tag of inputs) bytes.push(...hash(`prevout ${tag}`), ...le(0, 4), 0, ...le(0xfffffffd, 4));
  bytes.push(outputs.length);
  for (const o of outputs) bytes.push(...le(o.value, 8), o.script.length, ...o.script);
  bytes.push(...le(locktime, 4));
  return Uint8Array.from(bytes);
}

/**
 * The LSP's unsigned funding transaction for a proposal's keys and funding amount: two confirmed
 * native-segwit inputs, a P2WPKH change output 0 and the factory's funding output 1 (brief §8 step 1).
 */
export function fundingTxFor(
  p: Pick<Proposal, 'lsp' | 'clients' | 'funding' | 'proposalHeight'>,
): Uint8Array {
  const change = Uint8Array.from([0x00, 0x14, ...hash('lsp change').subarray(0, 20)]);
  const script = fundingOutput(
    p.lsp.key,
    p.clients.map((c) => c.key),
  ).script;
  return sampleTx(
    ['lsp coin 0', 'lsp coin 1'],
    [
      { value: 123_456n, script: change },
      { value: p.funding.amount, script },
    ],
    p.proposalHeight,
  );
}

/** A `factory_propose` of N clients: {@link sampleProposal} and its {@link fundingTxFor}. */
export function sampleFactoryPropose(N: number, network: Network = 'regtest'): FactoryPropose {
  const proposal = sampleProposal(N, network);
  return { type: 'factory_propose', proposal, fundingTx: fundingTxFor(proposal) };
}

/** `factory_propose` of a proposal built by {@link sampleProposal} (or one with the same keys and amount). */
export const proposeOf = (proposal: Proposal): FactoryPropose => ({
  type: 'factory_propose',
  proposal,
  fundingTx: fundingTxFor(proposal),
});

/** A valid proposal of N clients over deterministic keys, funded by {@link fundingTxFor}. */
export function sampleProposal(N: number, network: Network = 'regtest'): Proposal {
  const dw = network === 'regtest' ? { K: 4, S: 10 } : { K: 4, S: 144 };
  const toSelfDelay = network === 'regtest' ? 6 : 144;
  const shape = suggestShape(N, dw, toSelfDelay);
  if (shape === undefined) throw new Error(`no shape for N = ${N}`);
  const leaves = Math.ceil(N / shape.leafArity);
  const capacity = 100_000n;
  const lsp = { key: point('lsp'), closeScript: p2tr('lsp/close') };
  const clients = Array.from({ length: N }, (_, i) => ({
    key: point(`client ${i}`),
    closeScript: p2tr(`client ${i}/close`),
    capacity,
    balance: 40_000n + BigInt(i),
    ...(i % 3 === 1
      ? { profile: { contribution: BigInt(i * 1000), uptime: 0.5 + i / 8, timezone: (i % 24) - 12 } }
      : {}),
  }));
  const amount = BigInt(N) * capacity + BigInt(leaves) * 60_000n;
  const proposalHeight = 1000;
  const tx = fundingTxFor({ lsp, clients, proposalHeight, funding: { txid: '', vout: 1, amount } });
  return createProposal({
    network,
    proposalHeight,
    lsp,
    clients,
    leafArity: shape.leafArity,
    levelArity: shape.levelArity,
    staticLevels: shape.staticLevels,
    dw,
    toSelfDelay,
    funding: { txid: txidOfUnsigned(tx), vout: 1, amount },
    poisonHashes: poisonHashesFromSeed(hash('l-stock seed'), leaves),
  });
}

const channelId = hash('channel');
const factoryId = hash('factory');
/** The factory id of `sampleFactoryPropose(5)` and the channel id of its client 3. */
export const sampleFactoryId = factoryIdOf(sampleProposal(5));
export const sampleChannelId = channelIdOf(sampleFactoryId, 3);

/** One or more sample values of every message type. */
export function sampleMessages(): Message[] {
  const identity = signIdentity(secretKey('client node'), hash('handshake'));
  return [
    { type: 'init', versions: [1], features: Uint8Array.from([0x02, 0x00]), network: 'regtest', identity },
    { type: 'init', versions: [1, 2], features: new Uint8Array(0), network: 'mainnet' },
    { type: 'error', text: 'factory aborted: funding timeout', factoryId },
    { type: 'error', text: 'bad commitment signature', channelId },
    { type: 'warning', text: 'fee estimate unavailable' },
    { type: 'ping', numPongBytes: 16, ignored: new Uint8Array(8) },
    { type: 'pong', ignored: new Uint8Array(16) },
    {
      type: 'fragment',
      fragmentId: 7n,
      messageType: 0x0100,
      part: 1,
      parts: 3,
      totalLength: 150_000,
      data: Uint8Array.from([1, 2, 3, 4]),
    },
    sampleFactoryPropose(5),
    {
      type: 'factory_nonces',
      factoryId,
      attempt: 0,
      nonces: [
        { tx: 0, kind: 'kickoff', pubnonce: pubnonce('n0') },
        { tx: 1, kind: 'state', pubnonce: pubnonce('n1') },
        { tx: 4, kind: 'kickoff', pubnonce: pubnonce('n4') },
      ],
      distributionNonces: [{ index: 0, pubnonce: pubnonce('d0') }],
    },
    {
      type: 'factory_agg_nonces',
      factoryId,
      attempt: 1,
      aggNonces: [
        { tx: 0, kind: 'kickoff', aggnonce: pubnonce('a0') },
        { tx: 1, kind: 'state', aggnonce: Uint8Array.from([...new Uint8Array(33), ...point('a1')]) },
      ],
      distributionAggNonces: [{ index: 0, aggnonce: pubnonce('ad0') }],
    },
    {
      type: 'factory_psigs',
      factoryId,
      attempt: 0,
      psigs: [
        { tx: 0, psig: scalar('p0') },
        { tx: 1, psig: scalar('p1') },
      ],
      distributionPsigs: [{ index: 0, psig: scalar('pd0') }],
    },
    {
      type: 'factory_signed',
      factoryId,
      signatures: [
        { tx: 0, signature: sig('s0') },
        { tx: 1, signature: sig('s1') },
      ],
      distributionSignatures: [{ index: 0, signature: sig('sd0') }],
    },
    { type: 'factory_abort', factoryId, reason: 3, text: 'tx 4: invalid partial signature', blamed: 2 },
    { type: 'factory_abort', factoryId, reason: 1, text: '' },
    { type: 'factory_funded', factoryId, txid: txid('funding'), vout: 1 },
    {
      type: 'advance_propose',
      factoryId,
      advanceId: 3,
      leaf: 1,
      kind: 'leaf',
      allocations: [
        {
          leaf: 1,
          channels: [
            { client: 3, capacity: 150_000n, liquidityFeeMsat: 1_500_000n },
            { client: 4, capacity: 100_000n, liquidityFeeMsat: 0n },
          ],
          lStock: 10_000n,
        },
      ],
      created: [{ leaf: 1, counter: 3, poisonHash: hash('poison 3') }],
    },
    {
      type: 'advance_nonces',
      factoryId,
      advanceId: 3,
      nonces: [
        { kind: 'state', index: 5, pubnonce: pubnonce('an5') },
        { kind: 'poison', index: 1, pubnonce: pubnonce('anp1') },
        { kind: 'settlement', index: 3, pubnonce: pubnonce('ans3') },
      ],
      rebindingNonces: [{ channelId, verificationNonce: pubnonce('rebind') }],
    },
    {
      type: 'advance_agg_nonces',
      factoryId,
      advanceId: 3,
      aggNonces: [
        { kind: 'state', index: 5, aggnonce: pubnonce('aa5') },
        { kind: 'poison', index: 1, aggnonce: pubnonce('aap1') },
      ],
      rebindingNonces: [{ channelId, verificationNonce: pubnonce('lsp rebind') }],
      reboundCommitments: [
        { channelId, partialSig: scalar('lsp rebound'), signingNonce: pubnonce('lsp rebound sign') },
      ],
    },
    {
      type: 'advance_psigs',
      factoryId,
      advanceId: 3,
      psigs: [{ kind: 'state', index: 5, psig: scalar('ap5') }],
      reboundCommitments: [
        { channelId, partialSig: scalar('rebound'), signingNonce: pubnonce('rebound sign') },
      ],
    },
    {
      type: 'advance_done',
      factoryId,
      advanceId: 3,
      signatures: [
        { kind: 'state', index: 5, signature: sig('ad5') },
        { kind: 'poison', index: 1, signature: sig('adp1') },
      ],
    },
    { type: 'lstock_secret', factoryId, counter: 1, secret: hash('s_1') },
    { type: 'advance_request', factoryId, capacity: 250_000n, maxLiquidityFeeMsat: 2_500_000n },
    {
      type: 'channel_ready',
      channelId,
      nextPerCommitmentPoint: point('pcp 0'),
      verificationNonce: pubnonce('vn 0'),
      secondPerCommitmentPoint: point('pcp 1'),
      secondVerificationNonce: pubnonce('vn 1'),
    },
    {
      type: 'channel_ready',
      channelId,
      nextPerCommitmentPoint: point('pcp 0'),
      verificationNonce: pubnonce('vn 0'),
    },
    { type: 'stfu', channelId, initiator: true },
    {
      type: 'update_add_htlc',
      channelId,
      id: 0n,
      amountMsat: 1_000_000n,
      paymentHash: hash('payment'),
      cltvExpiry: 1200,
      onion: new Uint8Array(1366).fill(0xab),
    },
    { type: 'update_fulfill_htlc', channelId, id: 0n, paymentPreimage: hash('preimage') },
    { type: 'update_fail_htlc', channelId, id: 1n, reason: Uint8Array.from([0xde, 0xad]) },
    { type: 'update_fee', channelId, feeRate: 2500 },
    { type: 'commitment_signed', channelId, partialSig: scalar('cs'), signingNonce: pubnonce('cs nonce') },
    {
      type: 'revoke_and_ack',
      channelId,
      perCommitmentSecret: hash('pcs'),
      nextPerCommitmentPoint: point('pcp 2'),
      nextVerificationNonce: pubnonce('vn 2'),
    },
    {
      type: 'channel_reestablish',
      channelId,
      nextCommitmentNumber: 5,
      nextRevocationNumber: 4,
      yourLastPerCommitmentSecret: hash('last pcs'),
      myCurrentPerCommitmentPoint: point('pcp 4'),
      verificationNonce: pubnonce('vn 5'),
    },
    {
      type: 'close_propose',
      factoryId,
      attempt: 0,
      tipHeight: 1500,
      closeFeeRate: 1000,
      outputs: [
        { script: p2tr('client 0/close'), amount: 40_000n },
        { script: p2tr('lsp/close'), amount: 500_000n },
      ],
    },
    { type: 'close_nonce', factoryId, attempt: 0, pubnonce: pubnonce('close') },
    { type: 'close_agg_nonce', factoryId, attempt: 0, aggnonce: pubnonce('close agg') },
    { type: 'close_psig', factoryId, attempt: 0, psig: scalar('close') },
    { type: 'close_done', factoryId, attempt: 0, signature: sig('close') },
    { type: 'rotation_begin', factoryId, newFactoryId: hash('new factory'), deadline: 5000 },
    {
      type: 'turnover_presig',
      factoryId,
      dyingFundingTxid: txid('funding'),
      dyingFundingVout: 1,
      newFactoryId: hash('new factory'),
      preSignature: Uint8Array.from([...point('presig R'), ...scalar('presig s')]),
      adaptorPoint: point('client 0'),
    },
    { type: 'turnover_complete', factoryId, newFactoryId: hash('new factory'), signature: sig('turnover') },
    {
      type: 'jit_offer',
      offerId: hash('offer'),
      factoryId,
      paymentHash: hash('jit payment'),
      amountMsat: 50_000_000n,
      feeMsat: 500_000n,
      expiry: 1100,
    },
    { type: 'jit_accept', offerId: hash('offer') },
    { type: 'jit_ready', offerId: hash('offer'), channelId, fundingTxid: txid('jit'), fundingVout: 0 },
    { type: 'jit_migrate', channelId, factoryId, amountMsat: 49_500_000n, feeMsat: 0n },
    {
      type: 'invoice_request',
      requestId: 9n,
      amountMsat: 2_000_000n,
      descriptionHash: hash('coffee'),
      expirySeconds: 3600,
    },
    { type: 'invoice_request', requestId: 10n, descriptionHash: hash('donation'), expirySeconds: 86_400 },
    { type: 'invoice', requestId: 9n, paymentHash: hash('invoice payment') },
    // Issue 20: registration, channel setup, hop payloads, factory reestablish.
    {
      type: 'factory_register',
      factoryKey: point('client 0 factory 2'),
      closeScript: p2tr('client 0/close 2'),
      capacity: 200_000n,
      balance: 50_000n,
      profile: { contribution: 5000n, uptime: 0.98, timezone: 1 },
    },
    {
      type: 'factory_register',
      factoryKey: point('client 1 factory 2'),
      closeScript: p2tr('client 1/close 2'),
      capacity: 100_000n,
      balance: 0n,
    },
    {
      type: 'factory_register_response',
      factoryKey: point('client 0 factory 2'),
      grant: {
        capacity: 150_000n,
        balance: 50_000n,
        feeBaseMsat: 1000,
        feeProportionalMillionths: 100,
        htlcMinimumMsat: 1000n,
        htlcMaximumMsat: 140_000_000n,
      },
    },
    {
      type: 'factory_register_response',
      factoryKey: point('client 1 factory 2'),
      refusal: { reason: 4, text: 'factory key used before: register with a fresh key' },
    },
    {
      type: 'channel_setup',
      channelId: sampleChannelId,
      factoryId: sampleFactoryId,
      clientIndex: 3,
      basepoints: {
        revocation: point('bp revocation'),
        payment: point('bp payment'),
        delayedPayment: point('bp delayed'),
        htlc: point('bp htlc'),
      },
      firstPerCommitmentPoint: point('setup pcp 0'),
      secondPerCommitmentPoint: point('setup pcp 1'),
    },
    {
      type: 'update_add_htlc',
      channelId: sampleChannelId,
      id: 7n,
      amountMsat: 1_001_000n,
      paymentHash: hash('payment'),
      cltvExpiry: 1300,
      onion: new Uint8Array(0),
      hopPayload: {
        amtToForward: 1_000_000n,
        outgoingCltvValue: 1200,
        shortChannelId: scidAliasOf(channelIdOf(sampleFactoryId, 4)),
      },
    },
    {
      type: 'update_add_htlc',
      channelId: channelIdOf(sampleFactoryId, 4),
      id: 2n,
      amountMsat: 1_000_000n,
      paymentHash: hash('payment'),
      cltvExpiry: 1200,
      onion: new Uint8Array(0),
      hopPayload: {
        amtToForward: 1_000_000n,
        outgoingCltvValue: 1200,
        paymentData: { paymentSecret: hash('payment secret'), totalMsat: 1_000_000n },
      },
    },
    {
      type: 'factory_reestablish',
      factoryId: sampleFactoryId,
      phase: 'ceremony',
      ceremony: { attempt: 1, step: 'psigs' },
    },
    {
      type: 'factory_reestablish',
      factoryId: sampleFactoryId,
      phase: 'advance',
      advance: { advanceId: 3, step: 'agg_nonces' },
    },
    {
      type: 'factory_reestablish',
      factoryId: sampleFactoryId,
      phase: 'close',
      advance: { advanceId: 2, step: 'complete' },
      close: { attempt: 0, step: 'nonce' },
    },
    { type: 'factory_reestablish', factoryId: sampleFactoryId, phase: 'open' },
    // An unknown odd record is kept and re-emitted (BOLT 1: "it's ok to be odd").
    {
      type: 'stfu',
      channelId,
      initiator: false,
      unknownRecords: [{ type: 5n, value: Uint8Array.from([0x2a]) }],
    },
  ];
}
