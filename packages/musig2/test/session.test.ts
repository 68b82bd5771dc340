// Session: the aggregator's fast path and its slow-path errors.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import {
  getSessionValues,
  InvalidContributionError,
  nonceAgg,
  nonceGen,
  Session,
  scalarToBytes,
  ValueError,
} from '../src/index.js';

const sks = [11n, 22n, 33n].map(scalarToBytes);
const pks = sks.map((sk) => secp256k1.getPublicKey(sk, true));
const msg = new Uint8Array(32).fill(9);

function signed() {
  const nonces = pks.map((pk, i) => nonceGen({ pk, sk: sks[i], msg }));
  const pubnonces = nonces.map((x) => x.pubnonce);
  const session = new Session({ aggnonce: nonceAgg(pubnonces), pubkeys: pks, msg });
  const psigs = nonces.map((x, i) => session.sign(x.secnonce, sks[i] as Uint8Array));
  return { session, pubnonces, psigs };
}

describe('Session', () => {
  it('copies the caller bytes: mutating the inputs afterwards changes nothing', () => {
    const nonces = pks.map((pk) => nonceGen({ pk }).pubnonce);
    const keys = pks.map((pk) => Uint8Array.from(pk));
    const m = Uint8Array.from(msg);
    const session = new Session({ aggnonce: nonceAgg(nonces), pubkeys: keys, msg: m });
    const before = session.values;
    keys[0]?.fill(0);
    m.fill(0);
    expect(session.msg).toEqual(msg);
    const again = getSessionValues({ aggnonce: nonceAgg(nonces), pubkeys: pks, msg }, { cache: false });
    expect(before.e).toBe(again.e);
    expect(Object.isFrozen(session.values)).toBe(true);
  });

  it('pubnonces are consulted only to blame: honest partials aggregate and verify whatever nonces are passed', () => {
    const { session, psigs } = signed();
    const other = pks.map((pk) => nonceGen({ pk }).pubnonce);
    expect(session.verify(session.aggregateVerified(psigs, other))).toBe(true);
  });

  it('throws ValueError when every partial verifies against its nonce but the nonces are not the session nonces', () => {
    const nonces = pks.map((pk, i) => nonceGen({ pk, sk: sks[i], msg }));
    const pubnonces = nonces.map((x) => x.pubnonce);
    const session = new Session({ aggnonce: nonceAgg(pubnonces), pubkeys: pks, msg });
    // Signer 2 signs with a different nonce than the one the aggregate nonce was built from.
    const swapped = nonceGen({ pk: pks[2] as Uint8Array, sk: sks[2], msg });
    const psigs = nonces.map((x, i) =>
      session.sign(i === 2 ? swapped.secnonce : x.secnonce, sks[i] as Uint8Array),
    );
    const claimed = [pubnonces[0], pubnonces[1], swapped.pubnonce] as Uint8Array[];
    expect(session.blame(psigs, claimed)).toEqual([]);
    expect(() => session.aggregateVerified(psigs, claimed)).toThrow(ValueError);
    // Against the nonces the session was really built from, signer 2 is blamed.
    expect(session.blame(psigs, pubnonces)).toEqual([2]);
  });

  it('blames a signer whose public nonce does not decode with contrib pubnonce', () => {
    const { session, psigs, pubnonces } = signed();
    const bad = pubnonces.slice();
    bad[2] = new Uint8Array(66).fill(5);
    psigs[2] = scalarToBytes(12345n);
    let thrown: unknown;
    try {
      session.aggregateVerified(psigs, bad);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(InvalidContributionError);
    expect((thrown as InvalidContributionError).signer).toBe(2);
    expect((thrown as InvalidContributionError).contrib).toBe('pubnonce');
  });

  it("a secret key that is not the nonce's key is refused with the BIP327 message, with or without self-check", () => {
    for (const verify of [true, false]) {
      const nonces = pks.map((pk, i) => nonceGen({ pk, sk: sks[i], msg }));
      const session = new Session({ aggnonce: nonceAgg(nonces.map((x) => x.pubnonce)), pubkeys: pks, msg });
      // Signer 0's nonce, signer 1's key (also in the session).
      expect(() => session.sign(nonces[0]?.secnonce as never, sks[1] as Uint8Array, { verify })).toThrow(
        'Public key does not match nonce_gen argument',
      );
    }
  });
});
