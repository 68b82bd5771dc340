// Channel state machine benchmark: full payment cycles between two in-process peers (no network, no
// disk: actions are handed over directly and persists acknowledged at once):
//   add → commit → revoke → fulfill → commit → revoke
// i.e. 4 commitments signed (each: the signer's DeterministicSign, the holder's PartialSigVerify, own
// partial with self-check, aggregation and BIP340 verification), 4 revocations (each with its penalty
// set pre-signed) per cycle. Then the same MuSig2 work, penalty signing and commitment building timed
// alone, to give their share of a cycle.
//   cd packages/poon-dryja && npx tsx --conditions=source bench/channel.ts [cycles] [rounds]

import os from 'node:os';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { deterministicSign, nonceAgg, nonceGen, Session, schnorrVerify } from '@superscalar/musig2';
import { commitmentIndex, generateFromSeed } from '@superscalar/shachain';
import {
  buildCommitment,
  buildPenalties,
  Channel,
  type ChannelAction,
  type ChannelConfig,
  type Commitment,
  type Side,
} from '../src/index.js';
import { perCommitmentPoint } from '../src/keys.js';

const cycles = Number(process.argv[2] ?? 8);
const rounds = Number(process.argv[3] ?? 3);

const sk = (label: string) => sha256(new TextEncoder().encode(`bench ${label}`));
const pub = (k: Uint8Array) => secp256k1.getPublicKey(k, true);
const party = (name: string) => ({
  funding: sk(`${name} funding`),
  revocation: sk(`${name} revocation`),
  payment: sk(`${name} payment`),
  delayed: sk(`${name} delayed`),
  htlc: sk(`${name} htlc`),
  seed: sk(`${name} seed`),
});
const keys = { lsp: party('lsp'), client: party('client') };
const bp = (k: ReturnType<typeof party>) => ({
  revocation: pub(k.revocation),
  payment: pub(k.payment),
  delayedPayment: pub(k.delayed),
  htlc: pub(k.htlc),
});
const config: ChannelConfig = {
  lspFundingKey: pub(keys.lsp.funding),
  clientFundingKey: pub(keys.client.funding),
  channelTimeout: 5_000,
  toSelfDelay: 144,
  lspBasepoints: bp(keys.lsp),
  clientBasepoints: bp(keys.client),
};
const funding = { txid: '42'.repeat(32), vout: 0, amount: 1_000_000n };
const sweep = Uint8Array.of(0x51, 0x20, ...pub(sk('sweep')).slice(1));

function openPair() {
  const channels = {} as Record<Side, Channel>;
  const queue: [Side, ChannelAction[]][] = [];
  for (const role of ['lsp', 'client'] as const) {
    const k = keys[role];
    const { channel, actions } = Channel.open(
      {
        channelId: new Uint8Array(32).fill(9),
        role,
        config,
        funding,
        policy: {
          reserve: 10_000n,
          maxDustExposure: 10_000n,
          maxAcceptedHtlcs: 114,
          exitDelay: 432,
          pathTxs: 6,
          exitMargin: 144,
          htlcBudget: 72,
          dyingHeight: 4_000,
        },
        initialClientBalanceMsat: 300_000_000n,
        feeRate: 1_000,
        height: 100,
      },
      { fundingSecret: k.funding, shachainSeed: k.seed, revocationBasepointSecret: k.revocation },
      { sweepScript: sweep },
    );
    channels[role] = channel;
    queue.push([role, actions]);
  }
  const run = () => {
    while (queue.length > 0) {
      const [side, actions] = queue.shift() as [Side, ChannelAction[]];
      const other: Side = side === 'lsp' ? 'client' : 'lsp';
      for (const a of actions) {
        if (a.kind === 'send')
          queue.push([other, channels[other].handle({ type: 'message', message: a.message })]);
        else if (a.kind === 'persist')
          queue.push([side, channels[side].handle({ type: 'persisted', token: a.token })]);
        else if (a.kind === 'emit' && a.event.type === 'error') throw a.event.error;
      }
    }
  };
  run();
  const step = (side: Side, input: Parameters<Channel['handle']>[0]) => {
    queue.push([side, channels[side].handle(input)]);
    run();
  };
  return { channels, step };
}

function cycle(p: ReturnType<typeof openPair>, i: number) {
  const preimage = sk(`preimage ${i}`);
  const id = p.channels.lsp.nextHtlcId;
  p.step('lsp', {
    type: 'add_htlc',
    amountMsat: 10_000_000n,
    paymentHash: sha256(preimage),
    cltvExpiry: 1_000,
  });
  p.step('lsp', { type: 'commit' });
  p.step('client', { type: 'fulfill_htlc', id, preimage });
  p.step('client', { type: 'commit' });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function timeCycles(): number {
  const p = openPair();
  cycle(p, -1); // warm-up
  const t = performance.now();
  for (let i = 0; i < cycles; i++) cycle(p, i);
  return (performance.now() - t) / cycles;
}

/** One commitment's signing as the state machine does it (signer, then holder), alone. */
function commitmentSigning(c: Commitment): void {
  const holderSk = keys.client.funding;
  const holderPk = pub(holderSk);
  const mine = nonceGen({ pk: holderPk, sk: holderSk });
  const signed = deterministicSign({
    sk: keys.lsp.funding,
    aggothernonce: nonceAgg([mine.pubnonce]),
    pubkeys: c.signingKeys,
    tweaks: [c.tweak],
    isXonly: [true],
    msg: c.sighash,
    rand: new Uint8Array(32).fill(1),
  });
  const holderIndex = c.signingKeys.findIndex((k) => Buffer.from(k).equals(Buffer.from(holderPk)));
  const pubnonces = holderIndex === 0 ? [mine.pubnonce, signed.pubnonce] : [signed.pubnonce, mine.pubnonce];
  const session = new Session({
    aggnonce: nonceAgg(pubnonces),
    pubkeys: c.signingKeys,
    tweaks: [c.tweak],
    isXonly: [true],
    msg: c.sighash,
  });
  if (!session.partialSigVerify(signed.psig, signed.pubnonce, 1 - holderIndex))
    throw new Error('bench: bad partial');
  const own = session.sign(mine.secnonce, holderSk);
  const sig = session.partialSigAgg(holderIndex === 0 ? [own, signed.psig] : [signed.psig, own]);
  if (!schnorrVerify(sig, c.sighash, c.outputKey)) throw new Error('bench: bad signature');
}

function timeAlone(n: number, f: () => void): number {
  f();
  const t = performance.now();
  for (let i = 0; i < n; i++) f();
  return (performance.now() - t) / n;
}

const secret = (n: number) => generateFromSeed(keys.client.seed, commitmentIndex(n));
const spec = {
  holder: 'client' as const,
  commitmentNumber: 5,
  perCommitmentPoint: perCommitmentPoint(secret(5)),
  lspBalanceMsat: 690_000_000n,
  clientBalanceMsat: 300_000_000n,
  htlcs: [
    {
      id: 0n,
      offeredBy: 'lsp' as const,
      amountMsat: 10_000_000n,
      paymentHash: new Uint8Array(32).fill(3),
      cltvExpiry: 1_000,
    },
  ],
  feeRate: 1_000,
};

const cycleMs: number[] = [];
const musigMs: number[] = [];
const penaltyMs: number[] = [];
const buildMs: number[] = [];
for (let r = 0; r < rounds; r++) {
  cycleMs.push(timeCycles());
  const c = buildCommitment(config, funding, spec);
  musigMs.push(timeAlone(cycles, () => commitmentSigning(c)));
  penaltyMs.push(
    timeAlone(cycles, () =>
      buildPenalties({
        commitment: c,
        perCommitmentSecret: secret(5),
        revocationBasepointSecret: keys.lsp.revocation,
        sweepScript: sweep,
        feeRate: 1_000,
      }),
    ),
  );
  buildMs.push(timeAlone(cycles, () => buildCommitment(config, funding, spec)));
}

const perCycle = median(cycleMs);
const musig = 4 * median(musigMs);
const penalties = 4 * median(penaltyMs);
const builds = 4 * 2 * median(buildMs) + 4 * median(buildMs); // signer + holder per commitment; one per penalty set
console.log(
  `machine: ${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length}, load ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}, node ${process.version}, ${new Date().toISOString()}`,
);
console.log(`cycles per round ${cycles}, rounds ${rounds} (medians)`);
console.log(
  `full cycle (add → commit → revoke → fulfill → commit → revoke): ${perCycle.toFixed(1)} ms, ${(1000 / perCycle).toFixed(2)} cycles/s`,
);
const share = (x: number) => `${x.toFixed(1)} ms (${((100 * x) / perCycle).toFixed(0)}%)`;
console.log(`  MuSig2 signing and signature checks (4 commitments): ${share(musig)}`);
console.log(`  penalty pre-signing (4 revocations): ${share(penalties)}`);
console.log(`  commitment building (12 builds): ${share(builds)}`);
console.log(
  `  the rest (shachain, key derivation, update log, state encoding): ${share(Math.max(0, perCycle - musig - penalties - builds))}`,
);
