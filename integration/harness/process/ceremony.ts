// One process-level ceremony with kill -9s: the LSP and 4 clients in their own processes, a victim
// (the LSP or one client) frozen at a named point, SIGKILLed and restarted from its store, the
// ceremony run to an open factory, then a last kill -9 of the LSP at rest to see the channels resume;
// then what the suites check (`checkCeremony`).
import type { SpawnedSimServer } from '@superscalar/chain/sim-server';
import { decodeLspEvent, Lsp } from '@superscalar/lsp';
import { Wallet } from '@superscalar/wallet';
import { expect } from 'vitest';
import { type Line, openLspStore, ProcWorld } from './index.js';
import { lspAccount, lspKeychain, type StoreConfig, type Trigger } from './shared.js';

/** Who dies, and where (one trigger per generation of the victim's process). */
export interface KillPlan {
  readonly name: string;
  readonly victim: 'lsp' | 'client';
  readonly freezes: readonly Trigger[];
  /** Before the first signature: the ceremony may restart (a fresh attempt, or a new factory). */
  readonly beforeSignatures: boolean;
}

/** Which client dies in a client plan. */
export const VICTIM = 1;

/** What a ceremony run saw: the world (for checks) and the LSP store's state at each kill. */
export interface CeremonyRun {
  readonly world: ProcWorld;
  /** At each kill of the LSP: the funding inputs of live factories, and whether each was reserved. */
  readonly reservationsAtKill: { fundingTxid: string; inputs: number; reserved: number }[];
  readonly kills: number;
}

/** Opens the dead LSP's store: its factories as `Lsp.restore` sees them and its wallet. */
async function inspectLsp(w: ProcWorld) {
  const store = await openLspStore(w);
  try {
    const blobs = await store.list('blobs');
    const wallet = Wallet.load(blobs, { account: lspAccount(w.o.seed) });
    const lsp = Lsp.restore({ keychain: lspKeychain(w.o.seed), wallet, network: 'regtest', blobs });
    const events = (await store.events()).map((r) => ({
      id: `${r.updateId}:${r.index}`,
      ...decodeLspEvent(r),
    }));
    return { wallet, lsp, events };
  } finally {
    await store.close();
  }
}

/** Runs one ceremony under `plan`; the caller checks it and closes the world. */
export async function runCeremony(o: {
  readonly plan: KillPlan;
  readonly bundle: string;
  readonly server: SpawnedSimServer;
  readonly lspStore?: StoreConfig;
  readonly seed?: string;
}): Promise<CeremonyRun> {
  const { plan } = o;
  const w = await ProcWorld.create({
    seed: o.seed ?? `proc-${plan.name}`,
    bundle: o.bundle,
    server: o.server,
    clients: 4,
    ...(o.lspStore === undefined ? {} : { lspStore: o.lspStore }),
  });
  const reservationsAtKill: CeremonyRun['reservationsAtKill'] = [];
  let kills = 0;
  try {
    // Mine a block whenever the chain accepted the funding (minimumDepth is 1 on regtest).
    let mining: Promise<unknown> = Promise.resolve();
    w.onLine = (l) => {
      if (l.t === 'broadcast' && l.label === 'funding' && l.ok === true)
        mining = mining.then(() => w.rpc.mine(1)).catch((e) => w.fail(e as Error));
    };
    const victimProc = plan.victim === 'lsp' ? 'lsp' : 'victim';
    const first = plan.freezes[0];
    await w.startLsp(plan.victim === 'lsp' ? first : undefined);
    if (plan.victim === 'client') {
      await w.startClients(
        'clients',
        [0, 1, 2, 3].filter((i) => i !== VICTIM),
      );
      await w.startClients('victim', [VICTIM], first);
    } else await w.startClients('clients', [0, 1, 2, 3]);

    const opened = () =>
      ['lsp', 'c0', 'c1', 'c2', 'c3'].every(
        (who) => w.find({ t: 'handled', who, kind: 'FactoryOpen' }).length > 0,
      );
    // Each freeze: kill -9 at the point, look at the store, restart with the next trigger.
    for (let k = 0; k < plan.freezes.length; k++) {
      const gen = (w.generations.get(victimProc) as number) - 1;
      await w.until(
        () => w.find({ t: 'frozen', proc: victimProc, gen }).length > 0,
        `${victimProc} (gen ${gen}) to freeze at ${JSON.stringify(plan.freezes[k])}`,
      );
      await w.kill(victimProc);
      kills++;
      if (plan.victim === 'lsp') {
        const { wallet, lsp } = await inspectLsp(w);
        for (const f of lsp.factories()) {
          if (f.phase !== 'ceremony' && f.phase !== 'funded') continue;
          const tx = wallet.tx(f.fundingTxid);
          if (tx === undefined || tx.state === 'confirmed') continue;
          const reserved = wallet
            .reservations()
            .filter((r) => tx.inputs.some((i) => i.txid === r.txid && i.vout === r.vout));
          reservationsAtKill.push({
            fundingTxid: f.fundingTxid,
            inputs: tx.inputs.length,
            reserved: reserved.length,
          });
        }
        await w.startLsp(plan.freezes[k + 1]);
      } else await w.startClients('victim', [VICTIM], plan.freezes[k + 1]);
    }
    await w.until(opened, 'every role to handle FactoryOpen');
    expect(w.find({ t: 'frozen' }).length, 'every freeze point was reached').toBe(plan.freezes.length);

    // The channels resume after a kill -9 of the LSP at rest.
    await w.kill('lsp');
    kills++;
    const killedAt = w.lines.length;
    const gen = (await w.startLsp()).config.generation;
    const after = (who: string) =>
      w.lines
        .slice(killedAt)
        .filter((l) => l.t === 'recv' && l.who === who && l.type === 'channel_reestablish');
    await w.until(
      () =>
        new Set(
          after('lsp')
            .filter((l) => l.gen === gen)
            .map((l) => l.peer),
        ).size === 4 && ['c0', 'c1', 'c2', 'c3'].every((who) => after(who).length > 0),
      'channel_reestablish both ways after the LSP restarted',
    );
    return { world: w, reservationsAtKill, kills };
  } catch (e) {
    await w.close();
    throw e;
  }
}

/** What every ceremony must satisfy (the world's children still run; they are stopped here). */
export async function checkCeremony(run: CeremonyRun, plan: KillPlan): Promise<void> {
  const w = run.world;
  const status = await w.status();
  const lspStatus = status.lsp as {
    factories: {
      factoryId: string;
      phase: string;
      fundingTxid: string;
      channels: [string, number, number][];
    }[];
    reservations: unknown[];
  };
  const open = lspStatus.factories.filter((f) => f.phase === 'open');
  expect(open, 'one open factory').toHaveLength(1);
  const factory = open[0] as (typeof open)[number];
  expect(factory.channels).toHaveLength(4);
  for (const ch of factory.channels) expect(ch[0]).toBe('normal');
  for (const who of ['c0', 'c1', 'c2', 'c3']) {
    const c = status[who] as { factories: { factoryId: string; phase: string; channel: [string] }[] };
    const f = c.factories.find((x) => x.factoryId === factory.factoryId);
    expect(f?.phase, `${who}'s factory`).toBe('open');
    expect(f?.channel[0], `${who}'s channel`).toBe('normal');
  }
  await w.stopAll();

  // Nothing acknowledged is lost, and nothing acknowledged comes back.
  const { wallet, events } = await inspectLsp(w);
  const handled = (who: string) => w.find({ t: 'handled', who });
  const ids = handled('lsp').map((l) => l.id);
  expect(new Set(ids).size, 'an acknowledged LSP event was delivered again').toBe(ids.length);
  const journal = new Map(events.map((e) => [e.id, e.kind]));
  for (const l of handled('lsp')) expect(journal.get(l.id as string), `handled ${l.id}`).toBe(l.kind);
  for (const who of ['c0', 'c1', 'c2', 'c3']) {
    const cids = handled(who).map((l) => l.id);
    expect(new Set(cids).size, `an acknowledged event of ${who} came back`).toBe(cids.length);
  }
  // One-time events once per factory, in the journal and as handled.
  const ofFactory = events.filter((e) => (e as { factoryId?: string }).factoryId === factory.factoryId);
  for (const kind of ['FactoryProposed', 'FactorySigned', 'FactoryFunded', 'FactoryOpen'])
    expect(
      ofFactory.filter((e) => e.kind === kind),
      kind,
    ).toHaveLength(1);
  expect(ofFactory.filter((e) => e.kind === 'ChannelReady')).toHaveLength(4);
  expect(events.map((e) => e.kind)).not.toContain('InvariantViolated');
  for (const who of ['lsp', 'c0', 'c1', 'c2', 'c3']) {
    const kinds = handled(who).map((l) => l.kind);
    for (const kind of ['FactorySigned', 'FactoryFunded', 'FactoryOpen'])
      expect(
        kinds.filter((k) => k === kind),
        `${who} handled ${kind}`,
      ).toHaveLength(1);
    expect(kinds).not.toContain('InvariantViolated');
  }
  if (!plan.beforeSignatures) expect(events.map((e) => e.kind)).not.toContain('CeremonyAborted');

  // Funding: one transaction, never a conflicting one, confirmed; the wallet's reservations held.
  const broadcasts = w.find({ t: 'broadcast', who: 'lsp' });
  expect(
    broadcasts.filter((b) => b.label !== 'funding' && b.ok === true),
    'no other broadcast',
  ).toEqual([]);
  expect(new Set(broadcasts.filter((b) => b.ok === true).map((b) => b.txid))).toEqual(
    new Set([factory.fundingTxid]),
  );
  const info = await w.rpc.getTransaction(factory.fundingTxid);
  expect(info.confirmation, 'the funding confirmed').toBeDefined();
  expect(wallet.tx(factory.fundingTxid)?.state).toBe('confirmed');
  expect(wallet.reservations(), 'no reservation left').toEqual([]);
  for (const r of run.reservationsAtKill)
    expect(r.reserved, `inputs of ${r.fundingTxid} reserved at the kill`).toBe(r.inputs);

  // No nonce twice: a public nonce belongs to one process generation of one role, and each secret
  // nonce object of a channel signed once.
  const owners = new Map<string, Set<string>>();
  for (const l of w.find({ t: 'send' }))
    for (const n of l.nonces as string[]) {
      const s = owners.get(n) ?? new Set<string>();
      s.add(`${l.who}/${l.gen}`);
      owners.set(n, s);
    }
  const shared = [...owners].filter(([, s]) => s.size > 1);
  expect(shared, 'a public nonce sent by two processes').toEqual([]);
  expect(owners.size).toBeGreaterThan(0);
  expect(w.find({ t: 'nonce-reused' })).toEqual([]);
  console.log(
    `${plan.name}: ${run.kills} kill -9s (${w.find({ t: 'frozen' }).length} at a phase), ` +
      `${run.reservationsAtKill.length} reservation checks at a kill, ` +
      `${events.length} LSP journal events (${ids.length} handled), ${owners.size} distinct public nonces, ` +
      `${broadcasts.length} broadcasts of ${factory.fundingTxid.slice(0, 16)}…`,
  );
}

/** Lines of one kind, for reports. */
export const count = (lines: readonly Line[], t: string) => lines.filter((l) => l.t === t).length;
