// Process-level kill -9 of the LSP in the middle of a payment (issue 22: "kill -9 of the LSP between
// receiving an HTLC and forwarding it, and between the payee's fulfil and the upstream settle
// (process-level, SimChain server)"): a SimChain server in its own process, the LSP in its own Node
// process (`LspNode` over `Lsp`, a SQLite file store), the four clients in another, real Noise over
// loopback. A factory opens; the payee issues a BOLT 11 invoice, the payer pays it, and the LSP is
// frozen at a named point of the payment — detected from what it persisted or received, armed right
// before the payment, never from timing — then SIGKILLed and restarted from its store. Each run must
// end with the payment made exactly once: the payer's `PaymentSent` once with a preimage that hashes
// to the invoice's payment hash, the payee's `PaymentReceived` once, the LSP's `PaymentForwarded` once
// in its journal, one HTLC each way (retransmissions of it at most), the payer charged the amount plus
// the fee once, the payee credited once, every channel's balances the same at both ends and summing
// to its capacity, nothing in flight.
import { createHash } from 'node:crypto';
import { decodeLspEvent } from '@superscalar/lsp';
import { describe, expect, test } from 'vitest';
import { crashKills } from '../../test-utils/index.js';
import { type Line, openLspStore, ProcWorld, processSuite, type Trigger } from '../harness/process/index.js';

/** Where the LSP dies, which window of issue 22 that is, and what its store and the wire show then. */
interface PayKill {
  readonly name: string;
  readonly window: 'receive → forward' | 'fulfil → settle';
  readonly trigger: Trigger;
  /** At the kill: the states of the LSP's forwarding records, `PaymentForwarded`s in its journal. */
  /**
   * At the kill: the forwarding records' states (any one of `records`) and the `PaymentForwarded` count.
   * Several: the runtime's group commit may make the record's next state durable in the same store
   * transaction (its sends still wait for it, so the wire is as the window says).
   */
  readonly atKill: { readonly records: readonly (readonly string[])[]; readonly forwarded: number };
  /**
   * At the kill: whether the payee had received the LSP's `update_add_htlc` (undefined: the add was on
   * its way when the LSP froze; it may or may not get through before the kill).
   */
  readonly addedDownstream: boolean | undefined;
}

/** Ordered so that a small CRASH_KILLS covers both windows at their exact points first. */
const KILLS: PayKill[] = [
  // The forwarding record (pending) is durable with the incoming HTLC irrevocable; nothing was sent
  // to the payee yet.
  {
    name: 'forward-recorded',
    window: 'receive → forward',
    trigger: { on: 'put', prefix: 'lsp/fwd/', nth: 1 },
    // `offered`: the add to the payee queued in the same group commit, not sent (checked below).
    atKill: { records: [['pending'], ['offered']], forwarded: 0 },
    addedDownstream: false,
  },
  // The payee's fulfil is handled and durable (the record fulfilled, `PaymentForwarded` in the
  // journal); the upstream `update_fulfill_htlc` was not sent.
  {
    name: 'fulfil-recorded',
    window: 'fulfil → settle',
    trigger: { on: 'persisted', kind: 'PaymentForwarded', nth: 1 },
    atKill: { records: [['fulfilled']], forwarded: 1 },
    addedDownstream: true,
  },
  // The payer's revocation that makes the HTLC irrevocable at the LSP was handled, none of its actions
  // ran: the forwarding record is not durable; the payer retransmits after the restart.
  {
    name: 'irrevocable-unrecorded',
    window: 'receive → forward',
    trigger: { on: 'handled', type: 'revoke_and_ack', nth: 1 },
    atKill: { records: [[]], forwarded: 0 },
    addedDownstream: false,
  },
  // The payee's fulfil arrived and was not handled: the payee retransmits it after the restart.
  {
    name: 'fulfil-unhandled',
    window: 'fulfil → settle',
    trigger: { on: 'receive', type: 'update_fulfill_htlc', nth: 1 },
    atKill: { records: [['offered']], forwarded: 0 },
    addedDownstream: true,
  },
  // The forward was added downstream (record `offered`), not signed: the restart reverts the add and
  // the LSP adds it again.
  {
    name: 'forward-offered',
    window: 'receive → forward',
    trigger: { on: 'put', prefix: 'lsp/fwd/', nth: 2 },
    atKill: { records: [['offered']], forwarded: 0 },
    addedDownstream: undefined,
  },
];

/** Each kill point once per repetition; repetitions pay between another pair, another amount. */
const RUNS = crashKills(KILLS.length * 2, KILLS.length);
const PLANS = Array.from({ length: RUNS }, (_, k) => ({
  kill: KILLS[k % KILLS.length] as PayKill,
  rep: Math.floor(k / KILLS.length),
}));
console.log(
  `process payments kill -9: ${RUNS} runs (CRASH_KILLS) over ${KILLS.length} kill points of the LSP mid-payment`,
);

const FEE_BASE_MSAT = 1_000n; // the LSP's default routing terms: 1 sat + 100 ppm
const FEE_PPM = 100n;
const CAPACITY_MSAT = 20_000_000n;
const BALANCE_MSAT = 10_000_000n;

const suite = processSuite('proc-pay-sim-');

/** The four clients' and the LSP's balances and payments, as their processes report them. */
async function balances(w: ProcWorld) {
  const status = await w.status();
  const lsp = status.lsp as {
    factories: {
      phase: string;
      balances: { peer: string; busy: boolean; lspMsat: string; clientMsat: string }[];
    }[];
  };
  const factory = lsp.factories.find((f) => f.phase === 'open');
  const clients = ['c0', 'c1', 'c2', 'c3'].map((who) => {
    const c = status[who] as {
      factories: { phase: string; balances: { lspMsat: string; clientMsat: string } }[];
      payments: { paymentHash: string; amountMsat: string; feeMsat: string; status: string }[];
      invoices: { paymentHash: string; status: string }[];
    };
    const f = c.factories.find((x) => x.phase === 'open');
    return {
      who,
      clientMsat: BigInt(f?.balances.clientMsat || -1),
      lspMsat: BigInt(f?.balances.lspMsat || -1),
      payments: c.payments,
      invoices: c.invoices,
    };
  });
  return { factory, clients };
}

/** The dead LSP's store: its forwarding records' states and its journal's events. */
async function inspectLsp(w: ProcWorld) {
  const store = await openLspStore(w);
  try {
    const records = (await store.list('blobs'))
      .filter((b) => b.key.startsWith('lsp/fwd/'))
      .map((b) => (JSON.parse(new TextDecoder().decode(b.data)) as { state: string }).state);
    const journal = (await store.events()).map((r) => decodeLspEvent(r));
    return { records, journal };
  } finally {
    await store.close();
  }
}

/** The kinds and payment hashes of the events `who` handled (acknowledged), one line each. */
const handled = (w: ProcWorld, who: string, kind: string) =>
  w.find({ t: 'handled', who, kind }).map((l) => {
    const ev = w.lines.find((e) => e.t === 'event' && e.who === who && e.id === l.id && e.gen === l.gen);
    return { id: l.id as string, event: ev?.event as Record<string, string> | undefined };
  });

describe('kill -9 of the LSP mid-payment, restarted from SQLite: the payment completes exactly once', () => {
  for (const { kill, rep } of PLANS)
    test(`${kill.name} (${kill.window})${rep > 0 ? ` #${rep + 1}` : ''}: killed at ${JSON.stringify(kill.trigger)}`, async () => {
      const w = await ProcWorld.create({
        seed: `proc-pay-${kill.name}-${rep}`,
        bundle: suite.bundle,
        server: suite.server,
        clients: 4,
        // brief §7's routable window on regtest: two-hop payments fit (the defaults leave no room).
        lspPolicy: { activeBlocks: 288, dyingBlocks: 24, htlcBudget: 12 },
        timeoutMs: 60_000,
      });
      try {
        let mining: Promise<unknown> = Promise.resolve();
        w.onLine = (l) => {
          if (l.t === 'broadcast' && l.label === 'funding' && l.ok === true)
            mining = mining.then(() => w.rpc.mine(1)).catch((e) => w.fail(e as Error));
          // A refusal or a failure cannot end well: stop waiting at once.
          if (
            l.t === 'event' &&
            ['CommandRefused', 'PaymentFailed', 'InvariantViolated'].includes(l.kind as string)
          )
            w.fail(new Error(`${l.who}: ${l.kind} ${JSON.stringify(l.event)}`));
          if (l.t === 'command-failed') w.fail(new Error(`${l.who}: ${String(l.error)}`));
        };
        await w.startLsp();
        const clients = await w.startClients('clients', [0, 1, 2, 3]);
        await w.until(
          () =>
            ['lsp', 'c0', 'c1', 'c2', 'c3'].every(
              (who) => w.find({ t: 'handled', who, kind: 'FactoryOpen' }).length > 0,
            ),
          'every role to handle FactoryOpen',
        );
        // Repetitions pay between another pair, another amount.
        const [payer, payee] = rep % 2 === 0 ? ['c0', 'c1'] : ['c3', 'c2'];
        const amount = 250_000n + 150_000n * BigInt(rep);
        const fee = FEE_BASE_MSAT + (amount * FEE_PPM) / 1_000_000n;
        const nodeIdOf = (who: string) => (w.find({ t: 'ready', who })[0] as Line).nodeId as string;

        // Arm the LSP, issue the invoice, pay it.
        const lsp0 = w.procs.get('lsp');
        lsp0?.write(`arm ${JSON.stringify(kill.trigger)}`);
        await w.until(() => w.find({ t: 'armed', proc: 'lsp' }).length > 0, 'the LSP armed');
        clients.write(`invoice ${payee} ${amount}`);
        await w.until(
          () => w.find({ t: 'event', who: payee, kind: 'InvoiceCreated' }).length > 0,
          'the invoice',
        );
        const created = (w.find({ t: 'event', who: payee, kind: 'InvoiceCreated' })[0] as Line).event as {
          invoice: string;
          paymentHash: string;
        };
        const hash = created.paymentHash;
        clients.write(`pay ${payer} ${created.invoice}`);

        // The LSP freezes at the point; kill -9; restart from its store.
        await w.until(
          () => w.find({ t: 'frozen', proc: 'lsp' }).length > 0,
          `the LSP to freeze at ${kill.name}`,
        );
        expect(w.find({ t: 'handled', who: payer, kind: 'PaymentSent' }), 'settled before the kill').toEqual(
          [],
        );
        await w.kill('lsp');
        const killedAt = w.lines.length;
        // The kill landed in its window: the LSP's store and the wire as the plan says.
        const dead = await inspectLsp(w);
        expect(kill.atKill.records, 'forwarding records at the kill').toContainEqual(dead.records);
        expect(
          dead.journal.filter((e) => e.kind === 'PaymentForwarded'),
          'PaymentForwarded at the kill',
        ).toHaveLength(kill.atKill.forwarded);
        expect(
          w.find({ t: 'recv', who: payer, type: 'update_fulfill_htlc' }),
          'settled before the kill',
        ).toEqual([]);
        if (kill.addedDownstream !== undefined)
          expect(
            w.find({ t: 'recv', who: payee, type: 'update_add_htlc' }).length > 0,
            'the payee had the HTLC at the kill',
          ).toBe(kill.addedDownstream);
        const gen = (await w.startLsp()).config.generation;
        expect(gen).toBe(1);

        // The payment completes, and every channel settles with nothing in flight.
        await w.until(
          () =>
            handled(w, payer, 'PaymentSent').some((e) => e.event?.paymentHash === hash) &&
            handled(w, payee, 'PaymentReceived').some((e) => e.event?.paymentHash === hash),
          'PaymentSent at the payer and PaymentReceived at the payee',
        );
        let b = await balances(w);
        for (let i = 0; i < 200 && (b.factory?.balances.some((c) => c.busy) ?? true); i++) {
          await new Promise((r) => setTimeout(r, 50)); // a status poll, not a window: nothing to hit here
          b = await balances(w);
        }
        await w.stopAll();

        // Exactly once, at the payer, with the right preimage; once at the payee.
        const sent = handled(w, payer, 'PaymentSent');
        expect(sent, 'PaymentSent handled once').toHaveLength(1);
        const preimage = sent[0]?.event?.preimage as string;
        expect(createHash('sha256').update(Buffer.from(preimage, 'hex')).digest('hex')).toBe(hash);
        expect(BigInt(sent[0]?.event?.amountMsat as string)).toBe(amount);
        expect(BigInt(sent[0]?.event?.feeMsat as string)).toBe(fee);
        expect(handled(w, payee, 'PaymentReceived'), 'PaymentReceived handled once').toHaveLength(1);
        for (const who of ['c0', 'c1', 'c2', 'c3'])
          for (const kind of ['PaymentFailed', 'ChannelFailed', 'InvariantViolated', 'CommandRefused'])
            expect(handled(w, who, kind), `${who} ${kind}`).toEqual([]);
        const events = new Map(
          w.find({ t: 'event' }).map((l) => [`${l.who}/${l.gen}/${l.id}`, l.kind as string]),
        );
        expect([...events.values()].filter((k) => k === 'PaymentSent')).toHaveLength(1);

        // The LSP's journal (its store, across both processes): forwarded once, no invariant broken.
        const { journal, records } = await inspectLsp(w);
        // Settled records go at the LSP's next tick after the incoming HTLC is gone: at most those left.
        expect(
          records.filter((r) => r !== 'fulfilled'),
          'unsettled forwarding records left',
        ).toEqual([]);
        const forwarded = journal.filter(
          (e) => e.kind === 'PaymentForwarded' && (e as { paymentHash: string }).paymentHash === hash,
        ) as { feeMsat: bigint; amountMsat: bigint }[];
        expect(forwarded, 'PaymentForwarded in the LSP journal').toHaveLength(1);
        expect(forwarded[0]?.feeMsat).toBe(fee);
        expect(forwarded[0]?.amountMsat).toBe(amount);
        expect(journal.map((e) => e.kind)).not.toContain('InvariantViolated');
        const lspHandled = w.find({ t: 'handled', who: 'lsp' }).map((l) => `${l.id}`);
        expect(new Set(lspHandled).size, 'an acknowledged LSP event delivered again').toBe(lspHandled.length);

        // One HTLC each way: the payer's add and the LSP's add to the payee carry one id each (a
        // retransmission repeats it; a second HTLC would be a double charge or a double payment).
        const adds = (who: string, to: string) =>
          new Set(
            w
              .find({ t: 'send', who, type: 'update_add_htlc' })
              .filter((l) => l.peer === to.slice(0, 16))
              .map((l) => l.htlc as { id: string; paymentHash: string })
              .filter((h) => h.paymentHash === hash)
              .map((h) => h.id),
          );
        expect(adds(payer, w.find({ t: 'ready', who: 'lsp' })[0]?.nodeId as string).size).toBe(1);
        expect(adds('lsp', nodeIdOf(payee)).size, 'HTLCs the LSP offered the payee').toBe(1);
        expect(
          w.lines
            .slice(killedAt)
            .filter((l) => l.t === 'recv' && l.who === 'lsp' && l.type === 'channel_reestablish').length,
          'the restarted LSP reestablished channels',
        ).toBeGreaterThan(0);

        // Balances: the payer charged amount + fee once, the payee credited amount once, the others
        // untouched; both ends agree; every channel sums to its capacity; the LSP kept the fee.
        expect(b.factory, 'the open factory').toBeDefined();
        expect(b.factory?.balances.map((c) => c.busy)).toEqual([false, false, false, false]);
        const want: Record<string, bigint> = {
          c0: BALANCE_MSAT,
          c1: BALANCE_MSAT,
          c2: BALANCE_MSAT,
          c3: BALANCE_MSAT,
        };
        want[payer] = BALANCE_MSAT - amount - fee;
        want[payee] = BALANCE_MSAT + amount;
        let lspTotal = 0n;
        for (const c of b.clients) {
          expect(c.clientMsat, `${c.who}'s balance`).toBe(want[c.who]);
          expect(c.clientMsat + c.lspMsat).toBe(CAPACITY_MSAT);
          const atLsp = b.factory?.balances.find((x) => x.peer === nodeIdOf(c.who));
          expect(BigInt(atLsp?.clientMsat ?? -1), `${c.who} at the LSP`).toBe(c.clientMsat);
          expect(BigInt(atLsp?.lspMsat ?? -1)).toBe(c.lspMsat);
          lspTotal += c.lspMsat;
        }
        expect(lspTotal).toBe(4n * (CAPACITY_MSAT - BALANCE_MSAT) + fee);
        const payerState = b.clients.find((c) => c.who === payer);
        expect(payerState?.payments).toEqual([
          { paymentHash: hash, amountMsat: String(amount + fee), feeMsat: String(fee), status: 'sent' },
        ]);
        expect(b.clients.find((c) => c.who === payee)?.invoices).toEqual([
          { paymentHash: hash, status: 'paid' },
        ]);
        expect(w.find({ t: 'nonce-reused' })).toEqual([]);
        expect(w.find({ t: 'frozen' })).toHaveLength(1);
        console.log(
          `${kill.name}${rep > 0 ? ` #${rep + 1}` : ''}: ${payer} paid ${payee} ${amount} msat (+${fee}) once across a kill -9 of the LSP at ${JSON.stringify(kill.trigger)}; ` +
            `${w.find({ t: 'send', who: 'lsp', type: 'update_add_htlc' }).length} adds sent by the LSP, ${w.lines.length} lines`,
        );
      } finally {
        await w.close();
      }
    }, 180_000);
});
