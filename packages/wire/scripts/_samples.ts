// Deterministic sample values of every message (at least one per type, plus the optional-field
// variants), used by the vector generator, the fuzz seeds and the tests. Keys come from fixed tags, so
// the published vectors never change unless the format does.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  createProposal,
  type Network,
  type Proposal,
  poisonHashesFromSeed,
  suggestShape,
} from '@superscalar/factory-tree';
import { type Message, signIdentity } from '../src/index.js';

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

/** A valid proposal of N clients over deterministic keys. */
export function sampleProposal(N: number, network: Network = 'regtest'): Proposal {
  const dw = network === 'regtest' ? { K: 4, S: 10 } : { K: 4, S: 144 };
  const toSelfDelay = network === 'regtest' ? 6 : 144;
  const shape = suggestShape(N, dw, toSelfDelay);
  if (shape === undefined) throw new Error(`no shape for N = ${N}`);
  const leaves = Math.ceil(N / shape.leafArity);
  const capacity = 100_000n;
  return createProposal({
    network,
    proposalHeight: 1000,
    lsp: { key: point('lsp'), closeScript: p2tr('lsp/close') },
    clients: Array.from({ length: N }, (_, i) => ({
      key: point(`client ${i}`),
      closeScript: p2tr(`client ${i}/close`),
      capacity,
      balance: 40_000n + BigInt(i),
      ...(i % 3 === 1
        ? { profile: { contribution: BigInt(i * 1000), uptime: 0.5 + i / 8, timezone: (i % 24) - 12 } }
        : {}),
    })),
    leafArity: shape.leafArity,
    levelArity: shape.levelArity,
    staticLevels: shape.staticLevels,
    dw,
    toSelfDelay,
    funding: { txid: txid('funding'), vout: 1, amount: BigInt(N) * capacity + BigInt(leaves) * 60_000n },
    poisonHashes: poisonHashesFromSeed(hash('l-stock seed'), leaves),
  });
}

const channelId = hash('channel');
const factoryId = hash('factory');

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
    { type: 'factory_propose', proposal: sampleProposal(5) },
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
        { client: 3, capacity: 150_000n },
        { client: 4, capacity: 100_000n },
      ],
      lStock: 10_000n,
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
    // An unknown odd record is kept and re-emitted (BOLT 1: "it's ok to be odd").
    {
      type: 'stfu',
      channelId,
      initiator: false,
      unknownRecords: [{ type: 5n, value: Uint8Array.from([0x2a]) }],
    },
  ];
}
