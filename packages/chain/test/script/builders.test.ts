// Differential in the other direction: transactions built and signed by @scure/btc-signer (the
// builders' library, used here test-only) must verify under this package's own interpreter and
// sighashes, and stop verifying when a byte of a signature changes.
import * as btc from '@scure/btc-signer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../../test-utils/index.js';
import { STANDARD_FLAGS } from '../../src/script/index.js';
import { createTx, decodeTx, type TxOut } from '../../src/tx/index.js';
import { check, compressed, secretKey, xonly } from './_spend.js';

type Kind = 'p2tr-key' | 'p2tr-leaf' | 'p2wpkh' | 'p2sh-p2wpkh' | 'p2wsh-ms';
const kinds: Kind[] = ['p2tr-key', 'p2tr-leaf', 'p2wpkh', 'p2sh-p2wpkh', 'p2wsh-ms'];

function payment(kind: Kind, sk: Uint8Array, other: Uint8Array) {
  switch (kind) {
    case 'p2tr-key':
      return btc.p2tr(xonly(sk));
    case 'p2tr-leaf':
      return btc.p2tr(
        xonly(other),
        [{ script: btc.p2tr_pk(xonly(sk)).script }, { script: btc.p2tr_pk(xonly(other)).script }],
        undefined,
        true,
      );
    case 'p2wpkh':
      return btc.p2wpkh(compressed(sk));
    case 'p2sh-p2wpkh':
      return btc.p2sh(btc.p2wpkh(compressed(sk)));
    case 'p2wsh-ms':
      return btc.p2wsh(btc.p2ms(1, [compressed(sk), compressed(other)]));
  }
}

describe('transactions signed by @scure/btc-signer verify here', () => {
  it('every input kind, random sighash-relevant fields, two inputs; a flipped signature byte fails', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...kinds),
        fc.constantFrom(...kinds),
        fc.nat({ max: 1000 }),
        fc.bigInt({ min: 1_000n, max: 10_000_000n }),
        fc.constantFrom(2, 3),
        fc.nat({ max: 500_000 }),
        (k0, k1, seed, amount, version, locktime) => {
          const keys = [secretKey(seed), secretKey(seed + 1)];
          const others = [secretKey(seed + 2), secretKey(seed + 3)];
          const pays = [payment(k0, keys[0]!, others[0]!), payment(k1, keys[1]!, others[1]!)];
          const tx = new btc.Transaction({ version, lockTime: locktime, allowUnknownOutputs: true });
          pays.forEach((p, i) => {
            tx.addInput({
              txid: new Uint8Array(32).fill(i + 1),
              index: i,
              sequence: 0xfffffffd,
              witnessUtxo: { script: p.script, amount },
              ...p,
            });
          });
          tx.addOutput({ script: btc.p2tr(xonly(others[0]!)).script, amount: amount - 500n });
          tx.sign(keys[0]!);
          tx.sign(keys[1]!);
          tx.finalize();
          const ours = decodeTx(tx.extract());
          const spent: TxOut[] = pays.map((p) => ({ value: amount, script: p.script }));
          expect([check(ours, 0, spent, STANDARD_FLAGS), check(ours, 1, spent, STANDARD_FLAGS)]).toEqual([
            'OK',
            'OK',
          ]);
          // Corrupt one byte of the first witness signature of input 0.
          const w = ours.inputs[0]!.witness.map((x) => Uint8Array.from(x));
          const sigAt = k0 === 'p2wsh-ms' ? 1 : 0;
          w[sigAt]![10]! ^= 1;
          const bad = createTx({
            ...ours,
            inputs: ours.inputs.map((i, n) => (n === 0 ? { ...i, witness: w } : i)),
          });
          expect(check(bad, 0, spent, STANDARD_FLAGS)).not.toBe('OK');
        },
      ),
      { numRuns: propertyRuns(100, 20) },
    );
  });
});
