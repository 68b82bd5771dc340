// Test fixtures: a channel between an LSP and a client with deterministic keys, its channel output
// funded on SimChain, MuSig2 signing of commitments with both parties' keys, and CPFP children.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  createTx,
  encodeTx,
  FAUCET_SCRIPT,
  type FundedOutput,
  fromDisplayHex,
  SimChain,
  TxRejected,
} from '@superscalar/chain';
import { channelOutput } from '@superscalar/factory-tree';
import { nonceAgg, nonceGen, Session } from '@superscalar/musig2';
import { commitmentIndex, generateFromSeed } from '@superscalar/shachain';
import {
  type Basepoints,
  buildCommitment,
  type ChannelConfig,
  type Commitment,
  type CommitmentSpec,
  type FundingOutpoint,
  type HtlcSpec,
  perCommitmentPoint,
  type Side,
  signedCommitmentBytes,
} from '../src/index.js';

export const secret = (label: string): Uint8Array =>
  sha256(new TextEncoder().encode(`poon-dryja test ${label}`));
export const pub = (sk: Uint8Array): Uint8Array => secp256k1.getPublicKey(sk, true);

export interface PartyKeys {
  readonly funding: Uint8Array;
  readonly revocation: Uint8Array;
  readonly payment: Uint8Array;
  readonly delayedPayment: Uint8Array;
  readonly htlc: Uint8Array;
  readonly shachainSeed: Uint8Array;
}

export function partyKeys(name: string): PartyKeys {
  return {
    funding: secret(`${name} funding`),
    revocation: secret(`${name} revocation`),
    payment: secret(`${name} payment`),
    delayedPayment: secret(`${name} delayed`),
    htlc: secret(`${name} htlc`),
    shachainSeed: secret(`${name} shachain`),
  };
}

export function basepoints(k: PartyKeys): Basepoints {
  return {
    revocation: pub(k.revocation),
    payment: pub(k.payment),
    delayedPayment: pub(k.delayedPayment),
    htlc: pub(k.htlc),
  };
}

export const LSP = partyKeys('lsp');
export const CLIENT = partyKeys('client');
export const keysOf = (side: Side): PartyKeys => (side === 'lsp' ? LSP : CLIENT);

/** The holder's per-commitment secret of number n (BOLT 3 shachain, index 2^48 − 1 − n). */
export function pcSecret(side: Side, n: number): Uint8Array {
  return generateFromSeed(keysOf(side).shachainSeed, commitmentIndex(n));
}
export function pcPoint(side: Side, n: number): Uint8Array {
  return perCommitmentPoint(pcSecret(side, n));
}

export function makeConfig(overrides: Partial<ChannelConfig> = {}): ChannelConfig {
  return {
    lspFundingKey: pub(LSP.funding),
    clientFundingKey: pub(CLIENT.funding),
    channelTimeout: 5_000,
    toSelfDelay: 6,
    lspBasepoints: basepoints(LSP),
    clientBasepoints: basepoints(CLIENT),
    ...overrides,
  };
}

/** A preimage and its payment hash, by label. */
export function preimage(label: string): { preimage: Uint8Array; hash: Uint8Array } {
  const p = secret(`preimage ${label}`);
  return { preimage: p, hash: sha256(p) };
}

export function htlc(
  offeredBy: Side,
  id: bigint,
  amountMsat: bigint,
  cltvExpiry: number,
  label = `${offeredBy}${id}`,
): HtlcSpec {
  return { id, offeredBy, amountMsat, paymentHash: preimage(label).hash, cltvExpiry };
}

/** A spec whose balances fill the channel: `clientMsat` to the client, the rest (minus HTLCs) to the LSP. */
export function specFor(
  holder: Side,
  n: number,
  capacity: bigint,
  clientMsat: bigint,
  htlcs: readonly HtlcSpec[] = [],
  feeRate = 1000,
): CommitmentSpec {
  const inHtlcs = htlcs.reduce((s, h) => s + h.amountMsat, 0n);
  return {
    holder,
    commitmentNumber: n,
    perCommitmentPoint: pcPoint(holder, n),
    lspBalanceMsat: capacity * 1000n - clientMsat - inHtlcs,
    clientBalanceMsat: clientMsat,
    htlcs,
    feeRate,
  };
}

/** A fixed funding outpoint for tests that never touch a chain. */
export const OFFCHAIN_FUNDING: FundingOutpoint = {
  txid: '11'.repeat(32),
  vout: 1,
  amount: 1_000_000n,
};

/** Funds a channel output for `config` on `chain`. */
export async function fundChannel(
  chain: SimChain,
  config: ChannelConfig,
  amount: bigint,
): Promise<FundingOutpoint> {
  const out = channelOutput(config.lspFundingKey, config.clientFundingKey, config.channelTimeout);
  const funded: FundedOutput = await chain.fund(out.script, amount);
  return { txid: funded.txid, vout: funded.vout, amount };
}

/** Signs a commitment with both funding keys in a real two-party MuSig2 session; returns signed bytes. */
export function signCommitment(c: Commitment): Uint8Array {
  const sks = [LSP.funding, CLIENT.funding];
  const tweaks = [c.tweak];
  const isXonly = [true];
  const nonces = sks.map((sk) => nonceGen({ pk: pub(sk), sk, msg: c.sighash }));
  const pubnonces = nonces.map((n) => n.pubnonce);
  const session = new Session({
    aggnonce: nonceAgg(pubnonces),
    pubkeys: c.signingKeys,
    tweaks,
    isXonly,
    msg: c.sighash,
  });
  // The session takes keys in c.signingKeys' (KeySort) order; each party signs with its own key.
  const psigs = nonces.map((n, i) => session.sign(n.secnonce, sks[i] as Uint8Array));
  return signedCommitmentBytes(c, session.aggregateVerified(psigs, pubnonces));
}

/** A confirmed faucet coin for CPFP children (P2WSH(OP_TRUE): witness [OP_TRUE]). */
export async function feeCoin(chain: SimChain, amount = 100_000n): Promise<FundedOutput> {
  return chain.fund(FAUCET_SCRIPT, amount);
}

/** A version-3 CPFP child spending `parent`'s P2A anchor and a confirmed fee coin. */
export function cpfpChild(
  parentTxid: string,
  anchorVout: number,
  coin: FundedOutput,
  fee = 20_000n,
): Uint8Array {
  return encodeTx(
    createTx({
      version: 3,
      locktime: 0,
      inputs: [
        { prevTxid: fromDisplayHex(parentTxid), vout: anchorVout, sequence: 0xfffffffd, witness: [] },
        {
          prevTxid: fromDisplayHex(coin.txid),
          vout: coin.vout,
          sequence: 0xfffffffd,
          witness: [Uint8Array.of(0x51)],
        },
      ],
      outputs: [{ value: coin.amount + 240n - fee, script: FAUCET_SCRIPT }],
    }),
  );
}

/** Broadcasts a signed commitment with a CPFP child through its anchor. */
export async function broadcastCommitment(chain: SimChain, c: Commitment, signed: Uint8Array): Promise<void> {
  const anchor = c.outputs.find((o) => o.role === 'anchor');
  if (anchor === undefined) throw new Error('no anchor');
  const coin = await feeCoin(chain);
  await chain.broadcastPackage(signed, cpfpChild(c.txid, anchor.vout, coin));
}

/** The reject reason of a broadcast, or 'accepted'. */
export async function rejectReason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'accepted';
  } catch (e) {
    if (TxRejected.isInstance(e)) return e.reason;
    throw e;
  }
}

/** A P2TR destination script of a test key. */
export function p2tr(label: string): Uint8Array {
  const x = pub(secret(label)).slice(1);
  const s = new Uint8Array(34);
  s[0] = 0x51;
  s[1] = 0x20;
  s.set(x, 2);
  return s;
}

export { buildCommitment, SimChain };
