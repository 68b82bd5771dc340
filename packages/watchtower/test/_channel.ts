// Two poon-dryja Channels (LSP and client) driven in one process as the poon-dryja README's state
// machine example does, on a channel output funded on SimChain, collecting the LSP's `watch` actions
// (the revoked client commitments with their pre-signed penalties for every outpoint copy).
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { SimChain } from '@superscalar/chain';
import { channelOutput } from '@superscalar/factory-tree';
import {
  Channel,
  type ChannelAction,
  type ChannelInput,
  type RevokedCopy,
  type Side,
} from '@superscalar/poon-dryja';

const sk = (s: string) => sha256(new TextEncoder().encode(`watchtower channel ${s}`));
const pk = (s: string) => secp256k1.getPublicKey(sk(s), true);
const bp = (w: string) => ({
  revocation: pk(`${w} r`),
  payment: pk(`${w} p`),
  delayedPayment: pk(`${w} d`),
  htlc: pk(`${w} h`),
});

/** Where the LSP's penalties pay. */
export const LSP_SWEEP = Uint8Array.of(0x51, 0x20, ...pk('lsp sweep').slice(1));

export interface ChannelPair {
  readonly ch: Record<Side, Channel>;
  /** Every `watch { type: 'revoked' }` of the LSP's channel: the client's revoked commitments. */
  readonly revoked: { commitmentNumber: number; copies: readonly RevokedCopy[] }[];
  /** Runs an input on one side and everything it causes on both, persists acknowledged at once. */
  run(side: Side, input?: ChannelInput): void;
}

/** A channel of 1,000,000 sats on an output funded on `chain`, opened (commitment 0 signed both ways). */
export function openChannelPair(chain: SimChain): ChannelPair {
  const config = {
    lspFundingKey: pk('lsp f'),
    clientFundingKey: pk('client f'),
    channelTimeout: 5_000,
    toSelfDelay: 144,
    lspBasepoints: bp('lsp'),
    clientBasepoints: bp('client'),
  };
  const out = channelOutput(config.lspFundingKey, config.clientFundingKey, config.channelTimeout);
  const coin = chain.fundSync(out.script, 1_000_000n);
  const funding = { txid: coin.txid, vout: coin.vout, amount: 1_000_000n };
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
  const open = (role: Side) =>
    Channel.open(
      {
        channelId: new Uint8Array(32).fill(1),
        role,
        config,
        policy,
        funding,
        initialClientBalanceMsat: 300_000_000n,
        feeRate: 1_000,
        height: chain.height,
      },
      {
        fundingSecret: sk(`${role} f`),
        shachainSeed: sk(`${role} seed`),
        revocationBasepointSecret: sk(`${role} r`),
      },
      { sweepScript: role === 'lsp' ? LSP_SWEEP : Uint8Array.of(0x51, 0x20, ...pk('client sweep').slice(1)) },
    );
  const lsp = open('lsp');
  const client = open('client');
  const ch = { lsp: lsp.channel, client: client.channel };
  const revoked: ChannelPair['revoked'] = [];
  const queue: [Side, ChannelAction[]][] = [
    ['lsp', lsp.actions],
    ['client', client.actions],
  ];
  const run = (side: Side, input?: ChannelInput) => {
    if (input) queue.push([side, ch[side].handle(input)]);
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [at, actions] = next;
      const to: Side = at === 'lsp' ? 'client' : 'lsp';
      for (const a of actions) {
        if (a.kind === 'send') queue.push([to, ch[to].handle({ type: 'message', message: a.message })]);
        if (a.kind === 'persist') queue.push([at, ch[at].handle({ type: 'persisted', token: a.token })]);
        if (a.kind === 'watch' && at === 'lsp' && a.watch.type === 'revoked')
          revoked.push({ commitmentNumber: a.watch.commitmentNumber, copies: a.watch.copies });
      }
    }
  };
  run('lsp');
  return { ch, revoked, run };
}

/** A payment hash and its preimage. */
export function payment(label: string): { preimage: Uint8Array; hash: Uint8Array } {
  const preimage = sk(`preimage ${label}`);
  return { preimage, hash: sha256(preimage) };
}
