// The tower guarding a real factory on SimChain (built and signed with factory-tree's in-process
// helpers): (a) a stale path published after an advance — the tower, triggered by the guarded
// kickoff's confirmation, gets the newest state in first; (b) a superseded leaf state confirmed while
// nobody guarded the kickoffs — its poison (with the revealed s_c) and its settlements confirm and pay
// the clients' close addresses.
import { TxRejected } from '@superscalar/chain';
import { signedSettlementBytes, type TreeTx } from '@superscalar/factory-tree';
import { describe, expect, it } from 'vitest';
import {
  lstockSecretEntry,
  SecretMismatchError,
  staleStateEntry,
  supersededStateEntries,
  UnknownPoisonError,
} from '../src/index.js';
import { Attacker, advanceLeaf, type Factory, fundedFactory } from './_factory.js';
import { type Rig, towerRig } from './_rig.js';

const TIMEOUT = { timeout: 120_000 };

function acceptance(r: Rig, raw: Uint8Array): string {
  try {
    r.chain.testAccept(raw);
    return 'accepted';
  } catch (e) {
    if (TxRejected.isInstance(e)) return e.reason;
    throw e;
  }
}

/**
 * Publishes `f`'s initial path to `leaf` in order, each transaction as soon as the mempool takes it,
 * mining block by block (the tower reacts to each). Stops at the first transaction whose input is gone.
 */
async function publishStalePath(r: Rig, attacker: Attacker, f: Factory, leaf: number) {
  const confirmedAt = new Map<string, number>();
  for (const ti of f.tree.layout.leafPaths[leaf] as number[]) {
    const t = f.tree.txs[ti] as TreeTx;
    const raw = f.signed(t);
    for (let i = 0; ; i++) {
      if (i > 500) throw new Error(`${t.txid} never went in`);
      const why = acceptance(r, raw);
      if (why === 'accepted') attacker.publish(raw);
      else if (why !== 'txn-already-in-mempool' && why !== 'non-BIP68-final')
        return { stoppedAt: t, reason: why, confirmedAt };
      await r.mine(1);
      if ((await r.chain.getTransaction(t.txid).catch(() => undefined))?.confirmation) {
        confirmedAt.set(t.txid, r.chain.height);
        break;
      }
    }
  }
  return { stoppedAt: undefined, reason: undefined, confirmedAt };
}

describe('(a) a guarded kickoff confirms: the newest state wins over the stale one', () => {
  for (const N of [2, 3, 4])
    it(
      `N = ${N}: the tower broadcasts the newest leaf state the moment its lock allows; the stale one then has no input`,
      TIMEOUT,
      async () => {
        const r = await towerRig({ feeCoins: 6 });
        const attacker = new Attacker(r.chain, 6);
        const f = fundedFactory(r.chain, N, `a${N}`);
        await r.poll();
        const adv = advanceLeaf(f, 0, 10_000n);
        const next = adv.plan.next;
        const { S, K } = f.proposal.dw;
        // the role guards every kickoff of its path with the newest state spending it
        const path = next.layout.leafPaths[0] as number[];
        for (const [i, ti] of path.entries()) {
          const k = next.txs[ti] as TreeTx;
          const s = next.txs[path[i + 1] as number];
          if (k.kind !== 'kickoff' || s?.kind !== 'state') continue;
          await r.add(
            staleStateEntry({
              factoryId: f.factoryId,
              kickoffTxid: k.txid,
              state: adv.signedNext(s),
              dwStep: S,
            }),
          );
        }
        const newLeaf = next.txs[path[path.length - 1] as number] as TreeTx;
        const oldLeaf = f.tree.txs[path[path.length - 1] as number] as TreeTx;
        expect(newLeaf.txid).not.toBe(oldLeaf.txid);
        expect(newLeaf.tx.inputs[0]?.sequence).toBe(S * (K - 2));

        const out = await publishStalePath(r, attacker, f, 0);
        // the stale leaf state never got in: its input was spent by the newer state
        expect(out.stoppedAt?.txid).toBe(oldLeaf.txid);
        expect(out.reason).toBe('missing-inputs');
        const leafKickoff = f.tree.txs[path[path.length - 2] as number] as TreeTx;
        const kh = out.confirmedAt.get(leafKickoff.txid) as number;
        const confirmed = await r.chain.getTransaction(newLeaf.txid);
        expect(confirmed.confirmation?.height).toBe(kh + S * (K - 2));
        expect(r.eventsOf('response_confirmed').map((e) => e.txid)).toContain(newLeaf.txid);
        // sent by the tower, with its own CPFP child, at the first tip its lock allows
        const sent = r.eventsOf('response_broadcast').find((e) => e.txid === newLeaf.txid);
        expect(sent?.childTxid).toBeDefined();
        expect(r.tower.wallet.tx(sent?.childTxid as string)?.state).toBe('confirmed');
        expect(r.submitted.filter((t) => t === newLeaf.txid)).toHaveLength(1);
      },
    );
});

describe('(b) a superseded leaf state confirms: poison and settlements', () => {
  it(
    'the poison (completed with s_c) and both settlements confirm in the next block and pay the clients’ close addresses',
    TIMEOUT,
    async () => {
      const r = await towerRig({ feeCoins: 6 });
      const attacker = new Attacker(r.chain, 6);
      const f = fundedFactory(r.chain, 4, 'b');
      await r.poll();
      const adv = advanceLeaf(f, 0, 10_000n);
      const stale = adv.plan.superseded[0];
      if (stale?.poison === undefined) throw new Error('expected a poison');
      const c = stale.counter;
      await r.add(
        supersededStateEntries({
          factoryId: f.factoryId,
          stateTxid: stale.stateTx.txid,
          poison: { tx: stale.poison, signature: adv.sigs.get(`poison c=${c}`) as Uint8Array },
          settlements: stale.settlements.map((e, slot) => ({
            slot,
            tx: signedSettlementBytes(
              e.settlement as NonNullable<typeof e.settlement>,
              adv.sigs.get(`settlement c=${c} client=${e.client}`) as Uint8Array,
            ),
          })),
        }),
      );
      // the LSP reveals s_c after the advance; the role checks it against the poison leaf and stores it
      await r.add(
        lstockSecretEntry({ factoryId: f.factoryId, c, secret: adv.secret(c), poison: stale.poison }),
      );
      expect(r.tower.indexedEntries).toBe(3);

      const out = await publishStalePath(r, attacker, f, 0);
      expect(out.stoppedAt).toBeUndefined();
      const hs = out.confirmedAt.get(stale.stateTx.txid) as number;
      expect(r.eventsOf('triggered')).toMatchObject([
        { triggerTxid: stale.stateTx.txid, height: hs, responses: 3 },
      ]);
      // all three went out at tip hs (valid in the next block), each with its own CPFP child
      expect(r.eventsOf('response_broadcast').filter((e) => e.childTxid !== undefined)).toHaveLength(3);
      await r.mine(1);
      const confirmed = r.eventsOf('response_confirmed');
      expect(confirmed.map((e) => e.kind).sort()).toEqual(['poison', 'settlement', 'settlement']);
      expect(confirmed.every((e) => e.height === hs + 1)).toBe(true);
      const poisonTxid = stale.poison.txid;
      stale.poison.payouts.forEach((p, i) => {
        const u = r.chain.utxo({ txid: poisonTxid, vout: i });
        expect(u?.value).toBe(p.amount);
        expect(u?.scriptPubKey).toEqual(f.proposal.clients[i]?.closeScript);
      });
      expect(stale.poison.payouts[0]?.lost).toBe(10_000n);
      for (const e of stale.settlements) {
        const s = e.settlement as NonNullable<typeof e.settlement>;
        const u = r.chain.utxo({ txid: s.txid, vout: 0 });
        expect(u?.value).toBe(s.payout);
        expect(u?.scriptPubKey).toEqual(f.proposal.clients[e.client]?.closeScript);
      }
    },
  );

  it(
    'a poison whose s_c is revealed after its trigger confirmed waits (secret_missing), then goes out at once',
    TIMEOUT,
    async () => {
      const r = await towerRig({ feeCoins: 6 });
      const attacker = new Attacker(r.chain, 6);
      const f = fundedFactory(r.chain, 2, 'late');
      await r.poll();
      const adv = advanceLeaf(f, 0, 10_000n);
      const stale = adv.plan.superseded[0];
      if (stale?.poison === undefined) throw new Error('expected a poison');
      const poisonTx = stale.poison;
      const c = stale.counter;
      await r.add(
        supersededStateEntries({
          factoryId: f.factoryId,
          stateTxid: stale.stateTx.txid,
          poison: { tx: stale.poison, signature: adv.sigs.get(`poison c=${c}`) as Uint8Array },
        }),
      );
      await publishStalePath(r, attacker, f, 0);
      expect(r.eventsOf('secret_missing')).toMatchObject([{ kind: 'poison', txid: stale.poison.txid }]);
      expect(r.tower.responses()).toMatchObject([{ kind: 'poison', status: 'no-secret' }]);
      expect(r.tower.waitingFactories()).toEqual([f.factoryId]);
      // a secret is checked against the poison leaf before it is stored
      const wrong = adv.secret(c + 1);
      expect(() => r.tower.addLStockSecret({ factoryId: f.factoryId, c, secret: wrong })).toThrow(
        UnknownPoisonError,
      );
      expect(() => lstockSecretEntry({ factoryId: f.factoryId, c, secret: wrong, poison: poisonTx })).toThrow(
        SecretMismatchError,
      );
      await r.mine(1, { empty: true });
      expect(r.eventsOf('response_broadcast')).toHaveLength(0);
      await r.add(r.tower.addLStockSecret({ factoryId: f.factoryId, c, secret: adv.secret(c) }));
      expect(r.eventsOf('response_broadcast')).toMatchObject([{ kind: 'poison', txid: stale.poison.txid }]);
      await r.mine(1);
      expect(r.eventsOf('response_confirmed')).toMatchObject([{ kind: 'poison' }]);
      expect(r.chain.utxo({ txid: stale.poison.txid, vout: 0 })?.scriptPubKey).toEqual(
        f.proposal.clients[0]?.closeScript,
      );
    },
  );
});
