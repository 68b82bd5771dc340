import { type ChainBackend, decodeTx, TxRejected } from '@superscalar/chain';
import { toHex } from '@superscalar/core';
import { buildClientPath, signedTxBytes } from '@superscalar/factory-tree';
import type { Keychain } from '@superscalar/keys';
import type { Store } from '@superscalar/persist';
import { Channel } from '@superscalar/poon-dryja';
import { scriptToAddress } from '@superscalar/wallet';
import type { TowerEvent } from '@superscalar/watchtower';
import { openBreachWorld } from './breachWorld.js';
import { bitcoindChain, type DemoChain, simChain } from './chain.js';
import type { DemoOptions } from './demo.js';
import { endRun, fmt, type StepRecord, startRun } from './run.js';

/** What client 1 pays client 2 before it cheats (msat). */
export const BREACH_PAYMENT_MSAT = 3_000_000n;
/** The LSP tower's fee wallet: one confirmed coin for CPFP children. */
export const TOWER_FEE_SATS = 100_000n;

/** The `--breach --json` document. */
export interface BreachReport {
  readonly ok: true;
  readonly scene: 1;
  readonly chain: { readonly kind: 'simchain' | 'bitcoind'; readonly description: string };
  readonly factory: { readonly factoryId: string; readonly fundingTxid: string };
  readonly cheater: { readonly client: 1; readonly nodeId: string; readonly channelId: string };
  readonly payment: { readonly amountMsat: bigint; readonly paymentHash: string };
  /** The path the cheater published (root first) and where each confirmed. */
  readonly path: { readonly txid: string; readonly height: number }[];
  /** The revoked commitment it broadcast. */
  readonly revoked: {
    readonly txid: string;
    readonly commitmentNumber: number;
    readonly height: number;
    readonly toLocal: number;
    readonly raw: string;
  };
  /** What the LSP's tower broadcast. */
  readonly penalty: {
    readonly txid: string;
    readonly childTxid: string | undefined;
    readonly broadcastAtTip: number;
    readonly height: number;
    /** Swept from the revoked commitment (its to_local). */
    readonly swept: number;
    readonly paid: number;
    readonly fee: number;
    readonly anchor: number;
    readonly address: string;
    readonly raw: string;
  };
  readonly steps: StepRecord[];
  readonly timings: { readonly totalMs: number };
}

/**
 * Runs scene 1 of `--breach`. `print` gets each human line as it happens.
 *
 * @throws {Error} a step failed or timed out (everything started is stopped first).
 */
export async function runBreach(
  o: Pick<DemoOptions, 'regtest' | 'keep' | 'logLevel'>,
  print?: (line: string) => void,
): Promise<BreachReport> {
  const run = startRun(o, 'breach', print);
  const { now, steps, step, detail, timeout, journal, stops, pumps } = run;
  const towerEvents: TowerEvent[] = [];
  let chain: DemoChain | undefined;
  try {
    chain = o.regtest ? await bitcoindChain() : simChain();
    const c = chain;
    const control = c.control;
    // Every role runs its embedded tower; the LSP's holds one fee coin for its CPFP children.
    const world = await openBreachWorld({
      chain: c,
      run,
      onTowerEvent: (role, e) => {
        if (role === 'lsp') towerEvents.push(e);
      },
      lspTower: TOWER_FEE_SATS,
      clientTowerFee: 0n,
    });
    const { mine, lspMachine, lspKeys, lspStore, funded, clients } = world;
    const nodes = clients.map((r) => r.node);

    // Client 1 keeps a copy of its signed commitment (a cheater's copy, read from its own store).
    const [cheater, payee] = clients as [(typeof clients)[number], (typeof clients)[number]];
    const info = cheater.machine.factories()[0];
    if (info === undefined) throw new Error('client 1 has no factory');
    const old = await heldCommitment(cheater.store, cheater.keychain, info);
    const toLocal = old.commitment.outputs.find((x) => x.role === 'to_local');
    if (toLocal === undefined) throw new Error('client 1 has no balance output');
    step(
      'copy',
      `client 1 copies its signed commitment #${old.commitment.commitmentNumber} ${old.commitment.txid} (to_local ${fmt(toLocal.amount)} sats)`,
    );

    // It pays client 2: the commitment is revoked; the LSP stores its penalty before it answers.
    await nodes[1]?.command({
      type: 'create_invoice',
      amountMsat: BREACH_PAYMENT_MSAT,
      description: 'breach demo',
    });
    const invoice = await journal.until(
      () => payee.machine.invoices()[0]?.invoice,
      'client 2 to create an invoice',
      timeout,
    );
    await nodes[0]?.command({ type: 'pay_invoice', invoice });
    const sent = await journal.until(
      () => journal.clients('PaymentSent').find((e) => e.role === 'client 1')?.event,
      'client 1 to pay',
      timeout,
    );
    const entries = await lspStore.list('watchEntries', { triggerTxid: old.commitment.txid });
    if (entries.length === 0) throw new Error('the LSP holds no penalty for the revoked commitment');
    step(
      'pay',
      `client 1 paid client 2 ${fmt(BREACH_PAYMENT_MSAT / 1000n)} sats (${sent.paymentHash.slice(0, 8)}…): commitment #${old.commitment.commitmentNumber} is revoked, the LSP stored ${entries.length} penalty in the same update as the revocation`,
    );

    // The breach: client 1 publishes its path of the tree, each transaction once its lock allows,
    // then the revoked commitment.
    const proposal = lspMachine.factory(info.factoryId)?.proposal;
    const sigs = cheater.machine.signedPath(info.factoryId);
    if (proposal === undefined || sigs === undefined) throw new Error('no signed path');
    const path = buildClientPath(proposal, info.clientIndex).txs.map((t, k) => ({
      txid: t.txid,
      kind: t.kind,
      raw: signedTxBytes(t, (sigs[k] as { signature: Uint8Array }).signature),
    }));
    const at = await publishInOrder(
      control,
      [...path, { txid: old.commitment.txid, kind: 'commitment', raw: old.bytes }],
      mine,
      500,
    );
    for (const p of path) detail(`path: ${p.kind.padEnd(7)} ${p.txid} confirmed in block ${at.get(p.txid)}`);
    const guarded = towerEvents.filter((e) => e.type === 'response_broadcast' && e.kind === 'stale-state');
    detail(
      `the LSP's tower guards every kickoff: as client 1's kickoffs confirmed it sent the newest state spending each (${guarded.length} response(s))`,
    );
    const h = at.get(old.commitment.txid) as number;
    step(
      'breach',
      `client 1 broadcast its REVOKED commitment #${old.commitment.commitmentNumber} ${old.commitment.txid}: confirmed in block ${h}`,
    );

    // The LSP's tower saw it confirm and broadcast the penalty (with a CPFP child) at tip h.
    const sentEvent = towerEvents.find(
      (e) => e.type === 'response_broadcast' && e.triggerTxid === old.commitment.txid,
    );
    if (sentEvent === undefined || sentEvent.type !== 'response_broadcast')
      throw new Error('the LSP tower did not broadcast a penalty');
    step(
      'tower',
      `the LSP's tower was triggered in block ${h}; penalty ${sentEvent.txid} broadcast at tip ${h} with CPFP child ${sentEvent.childTxid ?? '(none)'} at ${fmt(sentEvent.feeRate)} sat/kvB`,
    );
    await mine(1);
    const confirmed = await journal.until(
      () => towerEvents.find((e) => e.type === 'response_confirmed' && e.txid === sentEvent.txid),
      'the penalty to confirm',
      timeout,
    );
    const onChain = await control.getTransaction(sentEvent.txid);
    const tx = decodeTx(onChain.tx);
    const payout = tx.outputs[0] as { value: bigint; script: Uint8Array };
    const anchor = tx.outputs[tx.outputs.length - 1]?.value ?? 0n;
    const feePaid = toLocal.amount - payout.value - anchor;
    const lspClose = lspKeys.closeAddress(lspMachine.factory(info.factoryId)?.factoryIndex ?? 0).scriptPubKey;
    if (toHex(payout.script) !== toHex(lspClose)) throw new Error('the penalty does not pay the LSP');
    const addr = scriptToAddress(payout.script, 'regtest') ?? toHex(payout.script);
    const height = (confirmed as { height: number }).height;
    step(
      'penalty',
      `penalty ${sentEvent.txid} confirmed in block ${height}: the revoked commitment's to_local (${fmt(toLocal.amount)} sats, the cheater's old balance) swept, ${fmt(payout.value)} to the LSP's close address ${addr}, fee ${fmt(feePaid)}, anchor ${fmt(anchor)}`,
    );

    pumps.abort();
    await Promise.all(stops.splice(0).map((s) => s()));
    const totalMs = now();
    step(
      'done',
      `scene 1: the cheater lost its whole balance to the penalty in ${(totalMs / 1000).toFixed(2)} s`,
    );
    return {
      ok: true,
      scene: 1,
      chain: { kind: c.kind, description: c.description },
      factory: { factoryId: info.factoryId, fundingTxid: funded.txid },
      cheater: { client: 1, nodeId: cheater.machine.nodeId, channelId: info.channel.channelId },
      payment: { amountMsat: BREACH_PAYMENT_MSAT, paymentHash: sent.paymentHash },
      path: path.map((p) => ({ txid: p.txid, height: at.get(p.txid) as number })),
      revoked: {
        txid: old.commitment.txid,
        commitmentNumber: old.commitment.commitmentNumber,
        height: h,
        toLocal: Number(toLocal.amount),
        raw: toHex(old.bytes),
      },
      penalty: {
        txid: sentEvent.txid,
        childTxid: sentEvent.childTxid,
        broadcastAtTip: h,
        height,
        swept: Number(toLocal.amount),
        paid: Number(payout.value),
        fee: Number(feePaid),
        anchor: Number(anchor),
        address: addr,
        raw: toHex(onChain.tx),
      },
      steps,
      timings: { totalMs },
    };
  } finally {
    await endRun(run, chain, o.keep);
  }
}

/** The client's current signed commitment, from its own store and keys (what a force close sends). */
async function heldCommitment(
  store: Store,
  keychain: Keychain,
  f: {
    readonly factoryIndex: number;
    readonly clientIndex: number;
    readonly channel: { readonly channelId: string };
  },
): Promise<ReturnType<Channel['forceCloseTransaction']>> {
  const b = await store.get('blobs', { key: `client/c/${f.channel.channelId}` });
  if (b === undefined) throw new Error('no channel state in the store');
  const k = keychain.channelKeys(f.factoryIndex, f.clientIndex);
  return Channel.restore(
    b.data,
    {
      fundingSecret: keychain.factoryKey(f.factoryIndex).secretKey,
      shachainSeed: k.shachainSeed.secret,
      revocationBasepointSecret: k.revocation.secretKey,
    },
    { sweepScript: keychain.closeAddress(f.factoryIndex).scriptPubKey },
  ).forceCloseTransaction();
}

/**
 * Broadcasts each transaction once the chain takes it (a relative lock answers `non-BIP68-final`
 * until then; a tower may have sent it first) and mines until it confirms; returns each height.
 */
export async function publishInOrder(
  control: ChainBackend,
  txs: readonly { readonly txid: string; readonly raw: Uint8Array; readonly kind?: string }[],
  mine: () => Promise<void>,
  maxBlocks: number,
): Promise<Map<string, number>> {
  const at = new Map<string, number>();
  let blocks = 0;
  for (const t of txs)
    for (;;) {
      const info = await control.getTransaction(t.txid).catch(() => undefined);
      if (info?.confirmation !== undefined) {
        at.set(t.txid, info.confirmation.height);
        break;
      }
      if (info === undefined)
        try {
          await control.broadcast(t.raw);
        } catch (e) {
          if (!TxRejected.isInstance(e) || e.reason !== 'non-BIP68-final') throw e;
        }
      if (++blocks > maxBlocks) throw new Error(`${t.txid} did not confirm within ${maxBlocks} blocks`);
      await mine();
    }
  return at;
}
