import { decodeTx, TxRejected } from '@superscalar/chain';
import { fromHex, toHex } from '@superscalar/core';
import { buildClientPath, buildTree, signedTxBytes } from '@superscalar/factory-tree';
import { scriptToAddress } from '@superscalar/wallet';
import type { TowerEvent } from '@superscalar/watchtower';
import { publishInOrder } from './breach.js';
import { type BreachClient, openBreachWorld } from './breachWorld.js';
import { bitcoindChain, type DemoChain, simChain } from './chain.js';
import type { DemoOptions } from './demo.js';
import { CHANNEL_SATS } from './plan.js';
import { endRun, fmt, type StepRecord, startRun } from './run.js';

/** Each client tower's fee wallet: one confirmed coin for CPFP children. */
export const CLIENT_TOWER_FEE_SATS = 50_000n;
/** Scene 3's liquidity sale: client 1's capacity after the advance (sats). */
export const SALE_CAPACITY_SATS = 24_000n;

/** A transaction of a scene, as it went on chain. */
export interface SceneTx {
  readonly txid: string;
  readonly height: number;
  readonly raw: string;
}

/** Scene 2's part of the `--breach --json` document. */
export interface Scene2Report {
  readonly scene: 2;
  readonly factoryId: string;
  readonly advance: { readonly advanceId: number; readonly leaf: number; readonly superseded: number[] };
  /** The LSP's publication: the path down to the guarded kickoff (root first). */
  readonly path: SceneTx[];
  /** The superseded leaf state the LSP tried every block (never final before the newest one). */
  readonly stale: { readonly txid: string; readonly raw: string; readonly refusals: string[] };
  /** The newest state, broadcast by the clients' towers when its lock allowed. */
  readonly newest: SceneTx & {
    readonly broadcastBy: string[];
    readonly childTxid: string | undefined;
    readonly lock: number;
  };
  /** The superseded state once the newest confirmed: rejected (its input is spent). */
  readonly staleAfter: string;
  readonly dwStep: number;
  readonly steps: StepRecord[];
  readonly timings: { readonly totalMs: number };
}

/** One client's view in scene 3. */
export interface Scene3Client {
  readonly client: number;
  readonly clientIndex: number;
  readonly closeScript: string;
  readonly closeAddress: string;
  /** Capacity of its channel in the superseded state and after the advance. */
  readonly oldCapacity: number;
  readonly newCapacity: number;
}

/** Scene 3's part of the `--breach --json` document. */
export interface Scene3Report {
  readonly scene: 3;
  readonly factoryId: string;
  readonly advance: { readonly advanceId: number; readonly leaf: number; readonly superseded: number[] };
  readonly treeFeeRate: number;
  /** The LSP's publication, root first; the last is the superseded leaf state. */
  readonly path: SceneTx[];
  readonly stale: SceneTx & { readonly lstockVout: number; readonly lstock: number };
  /** The leaf's clients, in placement order (the poison's output order). */
  readonly clients: Scene3Client[];
  readonly offlineBlocks: number;
  readonly poison: SceneTx & { readonly outputs: number[]; readonly fee: number };
  readonly steps: StepRecord[];
  readonly timings: { readonly totalMs: number };
  readonly settlements: (SceneTx & {
    readonly client: number;
    readonly paid: number;
    readonly fee: number;
  })[];
}

/**
 * Runs scene 2 or 3 of `--breach`. `print` gets each human line as it happens.
 *
 * @throws {Error} a step failed or timed out (everything started is stopped first).
 */
export async function runAdvanceBreach(
  scene: 2 | 3,
  o: Pick<DemoOptions, 'regtest' | 'keep' | 'logLevel'>,
  print?: (line: string) => void,
  steps: StepRecord[] = [],
): Promise<Scene2Report | Scene3Report> {
  const run = startRun(o, `breach-${scene}`, print, steps);
  const { now, step, detail, timeout, journal } = run;
  const finish = (name: string, text: string): number => {
    const totalMs = now();
    step(name, `${text} (${(totalMs / 1000).toFixed(2)} s)`);
    return totalMs;
  };
  const done2 = (): number =>
    finish('done', 'scene 2: the newest state stands, the superseded one never confirmed');
  const towerEvents: { role: string; e: TowerEvent }[] = [];
  let chain: DemoChain | undefined;
  try {
    chain = o.regtest ? await bitcoindChain() : simChain();
    const c = chain;
    const control = c.control;
    const world = await openBreachWorld({
      chain: c,
      run,
      onTowerEvent: (role, e) => {
        towerEvents.push({ role, e });
      },
      lspTower: false,
      clientTowerFee: CLIENT_TOWER_FEE_SATS,
    });
    const { mine, lsp, lspMachine, funded } = world;
    const roles = world.clients;

    // The old path of client 1's leaf, signed (what the cheater will publish).
    const first = roles[0] as BreachClient;
    const info = first.machine.factories()[0];
    const proposal = lspMachine.factory(funded.factoryId)?.proposal;
    const sigs = first.machine.signedPath(funded.factoryId);
    if (info === undefined || proposal === undefined || sigs === undefined) throw new Error('no signed path');
    const old = buildClientPath(proposal, info.clientIndex).txs.map((t, k) => ({
      tx: t,
      raw: signedTxBytes(t, (sigs[k] as { signature: Uint8Array }).signature),
    }));
    const leaf = buildTree(proposal).layout.leafClients.findIndex((l) => l.includes(info.clientIndex));
    const leafClients = buildTree(proposal).layout.leafClients[leaf] as readonly number[];
    const leafRoles = leafClients.map(
      (ci) => roles.find((r) => r.machine.factories()[0]?.clientIndex === ci) as BreachClient,
    );
    const stale = old[old.length - 1] as (typeof old)[number];
    const kickoff = old[old.length - 2] as (typeof old)[number];

    // The advance, run by the LSP over Noise with the leaf's clients.
    const allocations =
      scene === 3 ? new Map([[info.clientIndex, SALE_CAPACITY_SATS]]) : new Map<number, bigint>();
    await lsp.command({
      type: 'advance_leaf',
      factoryId: fromHex(funded.factoryId),
      leaf,
      purpose: scene === 3 ? 'liquidity' : 'rebalance',
      allocations,
    });
    const done = await journal.until(() => journal.lsp('AdvanceCompleted')[0], 'the advance', timeout);
    await journal.until(
      () =>
        leafRoles.every((r) => (r.machine.factories()[0]?.advance?.secrets.length ?? 0) > 0)
          ? true
          : undefined,
      "the leaf's clients to hold s_c",
      timeout,
    );
    const newSigs = first.machine.signedPath(funded.factoryId) ?? [];
    const newest = { txid: (newSigs[old.length - 1] as { txid: string }).txid };
    const rows = await first.store.list('watchEntries', { triggerTxid: stale.tx.txid });
    step(
      'advance',
      `the LSP advanced leaf ${leaf} (advance ${done.advanceId}${scene === 3 ? `, a liquidity sale: client 1's channel ${fmt(CHANNEL_SATS)} → ${fmt(SALE_CAPACITY_SATS)} sats from the L-stock` : ', a rebalance'}): state c=${done.counters.superseded.join(',')} ${stale.tx.txid} superseded by c=${done.counters.created.join(',')} ${newest.txid}`,
    );
    detail(
      `client 1's tower stored, with the verified advance: ${rows.map((r) => r.kind).join(' + ')} on the superseded state, the new state on kickoff ${kickoff.tx.txid.slice(0, 16)}…, then s_c`,
    );
    const advance = { advanceId: done.advanceId, leaf, superseded: [...done.counters.superseded] };
    const S = proposal.dw.S;
    const rawHex = async (txid: string) => toHex((await control.getTransaction(txid)).tx);
    const heightOf = async (txid: string) =>
      (await control.getTransaction(txid).catch(() => undefined))?.confirmation?.height;

    if (scene === 2) {
      // The LSP publishes the path down to the kickoff (its own copy), then tries the old state.
      const at = await publishInOrder(
        control,
        old.slice(0, -1).map((p) => ({ txid: p.tx.txid, raw: p.raw })),
        mine,
        500,
      );
      for (const p of old.slice(0, -1))
        detail(`LSP publishes ${p.tx.kind.padEnd(7)} ${p.tx.txid} confirmed in block ${at.get(p.tx.txid)}`);
      const hk = at.get(kickoff.tx.txid) as number;
      step(
        'cheat',
        `the LSP's kickoff ${kickoff.tx.txid} confirmed in block ${hk}; it now tries the superseded state every block`,
      );
      const refusals: string[] = [];
      for (let i = 0; i < 500 && (await heightOf(newest.txid)) === undefined; i++) {
        try {
          await control.broadcast(stale.raw);
          throw new Error('the superseded state was accepted before the newest one');
        } catch (e) {
          if (!TxRejected.isInstance(e)) throw e;
          refusals.push(e.reason);
        }
        await mine(1);
      }
      const newestHeight = (await heightOf(newest.txid)) as number;
      if (newestHeight === undefined) throw new Error('the newest state never confirmed');
      const sent = towerEvents.filter(
        (x) => x.e.type === 'response_broadcast' && x.e.kind === 'stale-state' && x.e.txid === newest.txid,
      );
      const by = [...new Set(sent.map((x) => x.role))];
      const child = sent[0]?.e.type === 'response_broadcast' ? sent[0].e.childTxid : undefined;
      const lock = ((stale.tx.tx.inputs[0]?.sequence as number) & 0xffff) - S;
      step(
        'tower',
        `the towers of ${by.join(' and ')} saw the kickoff confirm and broadcast the newest state ${newest.txid} when its ${lock}-block lock allowed (CPFP child ${child ?? '(none)'})`,
      );
      step(
        'newest',
        `the newest state confirmed in block ${newestHeight} (= ${hk} + ${lock}); the superseded one was refused ${refusals.length} times (${[...new Set(refusals)].join(', ')}): its own lock is ${lock + S} blocks`,
      );
      let staleAfter = '';
      for (let i = 0; i < S; i++) await mine(1);
      try {
        await control.broadcast(stale.raw);
        throw new Error('the superseded state was accepted after the newest confirmed');
      } catch (e) {
        if (!TxRejected.isInstance(e)) throw e;
        staleAfter = e.reason;
      }
      step(
        'wins',
        `the newest state wins: ${S} blocks later the superseded state is still refused (${staleAfter})`,
      );
      return {
        scene: 2,
        factoryId: funded.factoryId,
        advance,
        path: await Promise.all(
          old.slice(0, -1).map(async (p) => ({
            txid: p.tx.txid,
            height: at.get(p.tx.txid) as number,
            raw: toHex(p.raw),
          })),
        ),
        stale: { txid: stale.tx.txid, raw: toHex(stale.raw), refusals },
        newest: {
          txid: newest.txid,
          height: newestHeight,
          raw: await rawHex(newest.txid),
          broadcastBy: by,
          childTxid: child,
          lock,
        },
        staleAfter,
        dwStep: S,
        steps,
        timings: { totalMs: done2() },
      };
    }

    // Scene 3: every client goes offline (its node and tower stopped).
    for (const r of roles) await world.stopClient(r);
    step('offline', 'every client goes offline: nodes and towers stopped');
    const at = await publishInOrder(
      control,
      old.map((p) => ({ txid: p.tx.txid, raw: p.raw })),
      mine,
      500,
    );
    for (const p of old)
      detail(`LSP publishes ${p.tx.kind.padEnd(7)} ${p.tx.txid} confirmed in block ${at.get(p.tx.txid)}`);
    const hs = at.get(stale.tx.txid) as number;
    const lstockVout = stale.tx.outputRoles.findIndex((r) => r.kind === 'lstock');
    const lstock = stale.tx.tx.outputs[lstockVout]?.value as bigint;
    step(
      'cheat',
      `the superseded leaf state ${stale.tx.txid} confirmed in block ${hs}: its L-stock ${fmt(lstock)} sats would go back to the LSP after ${proposal.lStockCsv} blocks`,
    );
    await mine(1);
    const offlineBlocks = (await c.height()) - hs;
    // Back: each client restored from its store (its tower catches up from its checkpoint).
    for (const r of roles) await world.restoreClient(r);
    await c.pollAll();
    step(
      'back',
      `the clients are back ${offlineBlocks} block(s) later; their towers catch up from their checkpoints`,
    );
    const confirmedOf = (kind: string) =>
      towerEvents.filter(
        (x) => x.e.type === 'response_confirmed' && x.e.kind === kind && x.e.triggerTxid === stale.tx.txid,
      );
    for (let i = 0; i < 6; i++) {
      const settled = new Set(confirmedOf('settlement').map((x) => x.role));
      if (confirmedOf('poison').length > 0 && leafRoles.every((r) => settled.has(r.name))) break;
      await mine(1);
    }
    const poisonEv = confirmedOf('poison')[0]?.e as { txid: string; height: number } | undefined;
    if (poisonEv === undefined) throw new Error('no poison confirmed');
    const poisonRaw = await rawHex(poisonEv.txid);
    const ptx = decodeTx(fromHex(poisonRaw));
    const outputs = ptx.outputs.map((x) => x.value);
    // Its outputs end with the anchor: the fee is what they leave of the L-stock.
    const pfee = lstock - outputs.reduce((x, y) => x + y, 0n);
    const clients: Scene3Client[] = leafRoles.map((r) => {
      const f = r.machine.factories()[0];
      const script = r.keychain.closeAddress(f?.factoryIndex ?? 0).scriptPubKey;
      const vout = stale.tx.outputRoles.findIndex((x) => x.kind === 'channel' && x.client === f?.clientIndex);
      return {
        client: r.n,
        clientIndex: f?.clientIndex ?? -1,
        closeScript: toHex(script),
        closeAddress: scriptToAddress(script, 'regtest') ?? toHex(script),
        oldCapacity: Number(stale.tx.tx.outputs[vout]?.value ?? 0n),
        newCapacity: Number(allocations.get(f?.clientIndex ?? -1) ?? stale.tx.tx.outputs[vout]?.value ?? 0n),
      };
    });
    step(
      'poison',
      `the towers of ${[...new Set(towerEvents.filter((x) => x.e.type === 'response_broadcast' && x.e.kind === 'poison').map((x) => x.role))].join(' and ')} broadcast the poison ${poisonEv.txid} with s_c: confirmed in block ${poisonEv.height}; the LSP's L-stock (${fmt(lstock)} sats) goes to the clients, fee ${fmt(pfee)}, anchor 240`,
    );
    for (const [k, cl] of clients.entries())
      detail(
        `client ${cl.client}: ${fmt(outputs[k] as bigint)} sats at ${cl.closeAddress} (lost ${fmt(BigInt(Math.max(0, cl.newCapacity - cl.oldCapacity)))} + an equal share of the rest)`,
      );
    const settlements: Scene3Report['settlements'] = [];
    for (const r of leafRoles) {
      const ev = confirmedOf('settlement').find((x) => x.role === r.name)?.e as
        | { txid: string; height: number }
        | undefined;
      if (ev === undefined) throw new Error(`no settlement confirmed for ${r.name}`);
      const raw = await rawHex(ev.txid);
      const tx = decodeTx(fromHex(raw));
      const paid = tx.outputs[0]?.value as bigint;
      const cl = clients.find((x) => x.client === r.n) as Scene3Client;
      const fee = BigInt(cl.oldCapacity) - paid - 240n;
      settlements.push({
        txid: ev.txid,
        height: ev.height,
        raw,
        client: r.n,
        paid: Number(paid),
        fee: Number(fee),
      });
      step(
        'settle',
        `${r.name}'s tower: settlement ${ev.txid} confirmed in block ${ev.height}: its old channel output ${fmt(cl.oldCapacity)} sats → ${fmt(paid)} to its close address, fee ${fmt(fee)}, anchor 240`,
      );
    }
    return {
      scene: 3,
      factoryId: funded.factoryId,
      advance,
      treeFeeRate: proposal.treeFeeRate,
      path: old.map((p) => ({ txid: p.tx.txid, height: at.get(p.tx.txid) as number, raw: toHex(p.raw) })),
      stale: { txid: stale.tx.txid, height: hs, raw: toHex(stale.raw), lstockVout, lstock: Number(lstock) },
      clients,
      offlineBlocks,
      poison: {
        txid: poisonEv.txid,
        height: poisonEv.height,
        raw: poisonRaw,
        outputs: outputs.map(Number),
        fee: Number(pfee),
      },
      settlements,
      steps,
      timings: {
        totalMs: finish(
          'done',
          `scene 3: the LSP lost its L-stock to the poison and each client settled its old channel output`,
        ),
      },
    };
  } finally {
    await endRun(run, chain, o.keep);
  }
}
