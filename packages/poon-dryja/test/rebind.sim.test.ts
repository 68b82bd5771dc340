import {
  vsize as chainVsize,
  createTx,
  decodeTx,
  encodeTx,
  fromDisplayHex,
  SIGHASH,
  SimChain,
  type TxOut,
  taprootSighash,
} from '@superscalar/chain';
import { buildSettlement, channelOutput, signedSettlementBytes } from '@superscalar/factory-tree';
import { nonceAgg, nonceGen, Session } from '@superscalar/musig2';
import { describe, expect, it } from 'vitest';
import {
  buildCommitment,
  type FundingOutpoint,
  InvalidCommitmentError,
  rebindCommitment,
  SettlementMismatchError,
  validateStaleSettlement,
  verifyCommitmentSignature,
} from '../src/index.js';
import {
  broadcastCommitment,
  CLIENT,
  fundChannel,
  htlc,
  LSP,
  makeConfig,
  p2tr,
  pub,
  rejectReason,
  signCommitment,
  specFor,
} from './_channel.js';

const P2A = Uint8Array.of(0x51, 0x02, 0x4e, 0x73);

/**
 * A stale-channel settlement built here with the chain package's codec and sighash and a two-party
 * MuSig2 session (independent of the checker under test): brief §5.4's form, or a variant.
 */
function settlement(
  funding: FundingOutpoint,
  closeScript: Uint8Array,
  feeRate: number,
  tweakTx: (t: {
    version: number;
    locktime: number;
    sequence: number;
    payout: bigint;
    anchor: bigint;
  }) => void = () => {},
): Uint8Array {
  const config = makeConfig();
  const channel = channelOutput(config.lspFundingKey, config.clientFundingKey, config.channelTimeout);
  const shape = (
    payout: bigint,
    t: { version: number; locktime: number; sequence: number; anchor: bigint },
  ) =>
    createTx({
      version: t.version,
      locktime: t.locktime,
      inputs: [
        {
          prevTxid: fromDisplayHex(funding.txid),
          vout: funding.vout,
          sequence: t.sequence,
          witness: [new Uint8Array(64)],
        },
      ],
      outputs: [
        { value: payout, script: closeScript },
        { value: t.anchor, script: P2A },
      ],
    });
  const fields = { version: 3, locktime: 0, sequence: 0xfffffffd, payout: 0n, anchor: 240n };
  const vsize = chainVsize(shape(0n, fields));
  fields.payout = funding.amount - 240n - BigInt(Math.ceil((feeRate * vsize) / 1000));
  tweakTx(fields);
  const tx = shape(fields.payout, fields);
  const spent: TxOut[] = [{ value: funding.amount, script: channel.script }];
  const msg = taprootSighash(tx, 0, spent, SIGHASH.DEFAULT);
  if (msg === undefined) throw new Error('sighash');
  const sks = [LSP.funding, CLIENT.funding];
  const nonces = sks.map((sk) => nonceGen({ pk: pub(sk), sk, msg }));
  const pubnonces = nonces.map((n) => n.pubnonce);
  const session = new Session({
    aggnonce: nonceAgg(pubnonces),
    pubkeys: channel.pubkeys,
    tweaks: [channel.tweak],
    isXonly: [true],
    msg,
  });
  const sig = session.aggregateVerified(
    nonces.map((n, i) => session.sign(n.secnonce, sks[i] as Uint8Array)),
    pubnonces,
  );
  return encodeTx(createTx({ ...tx, inputs: tx.inputs.map((i) => ({ ...i, witness: [sig] })) }));
}

describe('rebinding (brief §5.4) on SimChain', () => {
  it('commitment n rebuilt on the new outpoint keeps point, keys, outputs and locks; only the input differs; it confirms', async () => {
    const chain = new SimChain();
    const config = makeConfig();
    const capacity = 900_000n;
    const oldFunding = await fundChannel(chain, config, capacity);
    const newFunding = await fundChannel(chain, config, capacity);
    const spec = specFor('lsp', 12, capacity, 250_000_000n, [
      htlc('lsp', 3n, 30_000_000n, 1_000),
      htlc('client', 8n, 20_000_000n, 1_010),
    ]);
    const old = buildCommitment(config, oldFunding, spec);
    const rebound = rebindCommitment(old, newFunding);
    expect(rebound.txid).not.toBe(old.txid);
    expect(rebound.sighash).not.toEqual(old.sighash);
    expect(rebound.tx.outputs).toEqual(old.tx.outputs);
    expect(rebound.tx.locktime).toBe(old.tx.locktime);
    expect(rebound.tx.inputs[0]?.sequence).toBe(old.tx.inputs[0]?.sequence);
    expect(rebound.keys).toEqual(old.keys);
    expect(rebound.perCommitmentPoint).toEqual(old.perCommitmentPoint);
    expect(rebound.commitmentNumber).toBe(12);
    expect(decodeTx(rebound.unsignedBytes).inputs[0]?.prevTxid).toEqual(fromDisplayHex(newFunding.txid));
    // A signature of the old copy does not complete the new one.
    const oldSigned = signCommitment(old);
    const oldSig = decodeTx(oldSigned).inputs[0]?.witness[0] ?? new Uint8Array(64);
    expect(verifyCommitmentSignature(old, oldSig)).toBe(true);
    expect(verifyCommitmentSignature(rebound, oldSig)).toBe(false);
    await broadcastCommitment(chain, rebound, signCommitment(rebound));
    await chain.mine(1);
    expect((await chain.getTransaction(rebound.txid)).confirmation?.confirmations).toBe(1);
    // The old copy's input is unspent and still valid there (until the settlement confirms).
    expect(await rejectReason(chain.broadcast(oldSigned))).toBe('accepted');
  });

  it('refuses the outpoint the commitment already spends', () => {
    const config = makeConfig();
    const funding = { txid: '33'.repeat(32), vout: 0, amount: 700_000n };
    const c = buildCommitment(config, funding, specFor('client', 1, 700_000n, 100_000_000n));
    expect(() => rebindCommitment(c, funding)).toThrow(InvalidCommitmentError);
    expect(() => rebindCommitment(c, { ...funding, amount: 800_000n })).toThrow(InvalidCommitmentError);
  });

  it('the old outpoint’s stale-channel settlement pays the client channel output − fee − 240, and confirms', async () => {
    const chain = new SimChain();
    const config = makeConfig();
    const capacity = 600_000n;
    const oldFunding = await fundChannel(chain, config, capacity);
    const close = p2tr('client close address');
    const treeFeeRate = 1_500;
    const bytes = settlement(oldFunding, close, treeFeeRate);
    const args = {
      settlement: bytes,
      oldFunding,
      lspFundingKey: config.lspFundingKey,
      clientFundingKey: config.clientFundingKey,
      channelTimeout: config.channelTimeout,
      clientCloseScript: close,
      treeFeeRate,
    };
    const check = validateStaleSettlement(args);
    expect(check.signed).toBe(true);
    expect(check.vsize).toBe(chainVsize(decodeTx(bytes)));
    expect(check.fee).toBe(BigInt(Math.ceil((treeFeeRate * check.vsize) / 1000)));
    expect(check.payout).toBe(capacity - 240n - check.fee);
    // Unsigned bytes pass the same checks (signed: false).
    const unsigned = encodeTx(
      createTx({ ...decodeTx(bytes), inputs: decodeTx(bytes).inputs.map((i) => ({ ...i, witness: [] })) }),
    );
    expect(validateStaleSettlement({ ...args, settlement: unsigned }).signed).toBe(false);

    const field = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        if (e instanceof SettlementMismatchError) return e.field;
        throw e;
      }
      return 'passed';
    };
    const variant = (t: Parameters<typeof settlement>[3]) =>
      field(() =>
        validateStaleSettlement({ ...args, settlement: settlement(oldFunding, close, treeFeeRate, t) }),
      );
    expect(variant((t) => (t.payout -= 1n))).toBe('outputs[0].value');
    expect(variant((t) => (t.version = 2))).toBe('version');
    expect(variant((t) => (t.sequence = 0xffffffff))).toBe('inputs[0].sequence');
    expect(variant((t) => (t.locktime = 1))).toBe('locktime');
    expect(variant((t) => (t.anchor = 330n))).toBe('outputs[1]');
    expect(field(() => validateStaleSettlement({ ...args, clientCloseScript: p2tr('someone else') }))).toBe(
      'outputs[0].script',
    );
    expect(field(() => validateStaleSettlement({ ...args, treeFeeRate: 2_000 }))).toBe('outputs[0].value');
    const badSig = decodeTx(bytes);
    const sig = Uint8Array.from(badSig.inputs[0]?.witness[0] ?? []);
    sig[5] = (sig[5] ?? 0) ^ 1;
    const forged = encodeTx(
      createTx({ ...badSig, inputs: badSig.inputs.map((i) => ({ ...i, witness: [sig] })) }),
    );
    expect(field(() => validateStaleSettlement({ ...args, settlement: forged }))).toBe('witness');

    expect(await rejectReason(chain.broadcast(bytes))).toBe('accepted');
    await chain.mine(1);
  });

  it('a settlement from @superscalar/factory-tree’s buildSettlement passes the check (same sighash) and confirms', async () => {
    const chain = new SimChain();
    const config = makeConfig();
    const capacity = 750_000n;
    const oldFunding = await fundChannel(chain, config, capacity);
    const close = p2tr('client close address');
    const treeFeeRate = 1_000;
    const channel = channelOutput(config.lspFundingKey, config.clientFundingKey, config.channelTimeout);
    const built = buildSettlement({
      channel,
      outpoint: oldFunding,
      amount: capacity,
      closeScript: close,
      feeRate: treeFeeRate,
    });
    const sks = [LSP.funding, CLIENT.funding];
    const nonces = sks.map((sk) => nonceGen({ pk: pub(sk), sk, msg: built.sighash }));
    const pubnonces = nonces.map((n) => n.pubnonce);
    const session = new Session({
      aggnonce: nonceAgg(pubnonces),
      pubkeys: channel.pubkeys,
      tweaks: [channel.tweak],
      isXonly: [true],
      msg: built.sighash,
    });
    const sig = session.aggregateVerified(
      nonces.map((n, i) => session.sign(n.secnonce, sks[i] as Uint8Array)),
      pubnonces,
    );
    const bytes = signedSettlementBytes(built, sig);
    const check = validateStaleSettlement({
      settlement: bytes,
      oldFunding,
      lspFundingKey: config.lspFundingKey,
      clientFundingKey: config.clientFundingKey,
      channelTimeout: config.channelTimeout,
      clientCloseScript: close,
      treeFeeRate,
    });
    expect(check).toMatchObject({ payout: built.payout, fee: built.fee, vsize: built.vsize, signed: true });
    expect(check.sighash).toEqual(built.sighash);
    expect(await rejectReason(chain.broadcast(bytes))).toBe('accepted');
  });
});
