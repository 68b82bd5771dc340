import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  AdaptorError,
  adapt,
  adaptorPoint,
  extractAdaptor,
  extractSecadaptor,
  InvalidArgumentError,
  InvalidPresignatureError,
  presigSign,
  presigVerify,
  SignatureMismatchError,
} from '../src/index.js';
import { bytes32, msgArb, N, scalarBytes, secretArb, thrown } from './_arb.js';

const runs = propertyRuns(100, 50);
console.log(`[adaptor] single-signer properties: ${runs} runs each`);

describe('single-signer adaptor signatures: properties', () => {
  it(`presign → verify → adapt gives a valid BIP340 signature and reveals t (${runs} runs)`, () => {
    fc.assert(
      fc.property(secretArb, secretArb, msgArb, bytes32, (sk, t, msg, aux) => {
        const pk = schnorr.getPublicKey(sk);
        const T = adaptorPoint(t);
        const presig = presigSign(msg, sk, T, { auxRand: aux });
        expect(presig).toHaveLength(65);
        expect(presigVerify({ msg, adaptor: T, pubkey: pk, presig })).toBe(true);
        expect(extractAdaptor(msg, pk, presig)).toEqual(T);
        const sig = adapt(presig, t);
        expect(schnorr.verify(sig, msg, pk)).toBe(true);
        expect(extractSecadaptor(presig, sig, T)).toEqual(t);
        expect(extractSecadaptor(presig, sig)).toEqual(t);
      }),
      { numRuns: runs },
    );
  });

  it(`a pre-signature is not itself a valid signature, and a wrong secret does not complete it (${runs} runs)`, () => {
    fc.assert(
      fc.property(secretArb, secretArb, secretArb, msgArb, bytes32, (sk, t, wrong, msg, aux) => {
        fc.pre(!wrong.every((b, i) => b === t[i]));
        const pk = schnorr.getPublicKey(sk);
        const presig = presigSign(msg, sk, adaptorPoint(t), { auxRand: aux });
        expect(schnorr.verify(presig.subarray(1), msg, pk)).toBe(false);
        expect(schnorr.verify(adapt(presig, wrong), msg, pk)).toBe(false);
      }),
      { numRuns: runs },
    );
  });

  it(`a pre-signature verifies for no other adaptor, message or key (${runs} runs)`, () => {
    fc.assert(
      fc.property(
        secretArb,
        secretArb,
        secretArb,
        msgArb,
        msgArb,
        bytes32,
        (sk, t, other, msg, msg2, aux) => {
          fc.pre(!other.every((b, i) => b === t[i]));
          const pk = schnorr.getPublicKey(sk);
          const T = adaptorPoint(t);
          const presig = presigSign(msg, sk, T, { auxRand: aux });
          expect(presigVerify({ msg, adaptor: adaptorPoint(other), pubkey: pk, presig })).toBe(false);
          if (msg2.length !== msg.length || msg2.some((b, i) => b !== msg[i]))
            expect(presigVerify({ msg: msg2, adaptor: T, pubkey: pk, presig })).toBe(false);
          // `other` may be `sk` or `n − sk`: both give the same x-only key, which of course verifies.
          const otherPk = schnorr.getPublicKey(other);
          if (otherPk.some((b, i) => b !== pk[i]))
            expect(presigVerify({ msg, adaptor: T, pubkey: otherPk, presig })).toBe(false);
        },
      ),
      { numRuns: runs },
    );
  });

  it(`any single-byte change to a pre-signature makes it fail verification (${runs} runs)`, () => {
    fc.assert(
      fc.property(
        secretArb,
        secretArb,
        bytes32,
        fc.nat(64),
        fc.integer({ min: 1, max: 255 }),
        (sk, t, msg, at, x) => {
          const pk = schnorr.getPublicKey(sk);
          const T = adaptorPoint(t);
          const presig = presigSign(msg, sk, T, { auxRand: new Uint8Array(32) });
          const bad = Uint8Array.from(presig);
          bad[at] = (bad[at] as number) ^ x;
          expect(presigVerify({ msg, adaptor: T, pubkey: pk, presig: bad })).toBe(false);
        },
      ),
      { numRuns: runs },
    );
  });

  it(`verification and extraction never throw on well-sized random input (${runs} runs)`, () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 65, maxLength: 65 }),
        bytes32,
        fc.uint8Array({ minLength: 33, maxLength: 33 }),
        msgArb,
        fc.boolean(),
        (presig, pk, T, msg, validPrefix) => {
          if (validPrefix) presig[0] = 2 + ((presig[0] as number) % 2);
          expect(typeof presigVerify({ msg, adaptor: T, pubkey: pk, presig })).toBe('boolean');
          const got = extractAdaptor(msg, pk, presig);
          expect(got === undefined || got.length === 33).toBe(true);
        },
      ),
      { numRuns: runs },
    );
  });

  it(`pre-signing is deterministic in auxRand and the nonce commits to the adaptor (${runs} runs)`, () => {
    fc.assert(
      fc.property(secretArb, secretArb, secretArb, bytes32, bytes32, (sk, t, t2, msg, aux) => {
        fc.pre(!t2.every((b, i) => b === t[i]));
        const a = presigSign(msg, sk, adaptorPoint(t), { auxRand: aux });
        expect(presigSign(msg, sk, adaptorPoint(t), { auxRand: aux })).toEqual(a);
        // same key, message and aux but another T: an unrelated nonce k (else two pre-signatures with
        // the same k would reveal the key)
        const b = presigSign(msg, sk, adaptorPoint(t2), { auxRand: aux });
        const k1 = secp256k1.Point.fromBytes(a.subarray(0, 33)).subtract(
          secp256k1.Point.fromBytes(adaptorPoint(t)),
        );
        const k2 = secp256k1.Point.fromBytes(b.subarray(0, 33)).subtract(
          secp256k1.Point.fromBytes(adaptorPoint(t2)),
        );
        expect(k1.equals(k2)).toBe(false);
      }),
      { numRuns: runs },
    );
  });
});

describe('single-signer adaptor signatures: edges and errors', () => {
  const sk = scalarBytes(7n);
  const t = scalarBytes(11n);
  const T = adaptorPoint(t);
  const msg = new Uint8Array(32).fill(3);
  const presig = presigSign(msg, sk, T, { auxRand: new Uint8Array(32) });
  const sig = adapt(presig, t);

  it('draws auxRand from the injected rng, and from the CSPRNG by default', () => {
    let asked = 0;
    const viaRng = presigSign(msg, sk, T, {
      rng: (n) => {
        asked = n;
        return new Uint8Array(n);
      },
    });
    expect(asked).toBe(32);
    expect(viaRng).toEqual(presig);
    const random = presigSign(msg, sk, T);
    expect(presigVerify({ msg, adaptor: T, pubkey: schnorr.getPublicKey(sk), presig: random })).toBe(true);
    expect(random).not.toEqual(presig);
  });

  const argCases: [string, () => unknown, string][] = [
    ['a zero secret key', () => presigSign(msg, new Uint8Array(32), T), 'secretKey'],
    ['a secret key ≥ n', () => presigSign(msg, scalarBytes(N), T), 'secretKey'],
    ['a short secret key', () => presigSign(msg, new Uint8Array(31), T), 'secretKey'],
    [
      'an adaptor whose x is not below p',
      () => presigSign(msg, sk, Uint8Array.from([2, ...new Uint8Array(32).fill(0xff)])),
      'adaptor',
    ],
    [
      'an adaptor with prefix 0x04',
      () => presigSign(msg, sk, Uint8Array.from([4, ...T.subarray(1)])),
      'adaptor',
    ],
    ['a 31-byte auxRand', () => presigSign(msg, sk, T, { auxRand: new Uint8Array(31) }), 'options.auxRand'],
    [
      'an rng returning 16 bytes',
      () => presigSign(msg, sk, T, { rng: () => new Uint8Array(16) }),
      'options.rng()',
    ],
    ['null options', () => presigSign(msg, sk, T, null as never), 'options'],
    ['a string message', () => presigSign('hi' as unknown as Uint8Array, sk, T), 'msg'],
    ['adapting with t = 0', () => adapt(presig, new Uint8Array(32)), 'secadaptor'],
    ['adapting with t = n', () => adapt(presig, scalarBytes(N)), 'secadaptor'],
    ['adaptorPoint(0)', () => adaptorPoint(new Uint8Array(32)), 'secadaptor'],
    ['extracting from a 65-byte signature', () => extractSecadaptor(presig, new Uint8Array(65)), 'sig'],
    [
      'extracting from a signature with s ≥ n',
      () => extractSecadaptor(presig, Uint8Array.from([...sig.subarray(0, 32), ...scalarBytes(N)])),
      'sig',
    ],
  ];
  for (const [name, f, argument] of argCases) {
    it(`rejects ${name} with InvalidArgumentError naming ${argument}`, () => {
      const e = thrown(f);
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect((e as InvalidArgumentError).argument).toBe(argument);
      expect((e as InvalidArgumentError).code).toBe('ADAPTOR_INVALID_ARGUMENT');
      expect(AdaptorError.isInstance(e)).toBe(true);
    });
  }

  it('adapt and extract reject a pre-signature with a bad first byte or s′ ≥ n', () => {
    for (const bad of [
      Uint8Array.from([4, ...presig.subarray(1)]),
      Uint8Array.from([0, ...presig.subarray(1)]),
      Uint8Array.from([...presig.subarray(0, 33), ...scalarBytes(N)]),
    ]) {
      expect(thrown(() => adapt(bad, t))).toBeInstanceOf(InvalidPresignatureError);
      expect(thrown(() => extractSecadaptor(bad, sig))).toBeInstanceOf(InvalidPresignatureError);
    }
  });

  it('extraction refuses a signature of another pre-signature, a wrong adaptor and a zero secret', () => {
    const other = presigSign(msg, sk, adaptorPoint(scalarBytes(12n)), { auxRand: new Uint8Array(32) });
    expect(thrown(() => extractSecadaptor(other, sig))).toBeInstanceOf(SignatureMismatchError);
    expect(thrown(() => extractSecadaptor(presig, sig, adaptorPoint(scalarBytes(12n))))).toBeInstanceOf(
      SignatureMismatchError,
    );
    const e = thrown(() => extractSecadaptor(presig, presig.subarray(1)));
    expect(e).toBeInstanceOf(SignatureMismatchError);
    expect((e as SignatureMismatchError).code).toBe('ADAPTOR_SIGNATURE_MISMATCH');
  });

  it('inputs are copied: mutating them after the call changes nothing', () => {
    const m = Uint8Array.from(msg);
    const out = presigSign(m, sk, T, { auxRand: new Uint8Array(32) });
    m.fill(0);
    expect(out).toEqual(presig);
    const s = adapt(presig, t);
    s.fill(0);
    expect(adapt(presig, t)).toEqual(sig);
  });

  it('isInstance recognises the brand across copies and nothing else', () => {
    // An error as another copy of the package makes it: core's brand and each class's kind tag on
    // another prototype chain (base first).
    let proto = Object.create(Error.prototype);
    Object.defineProperty(proto, Symbol.for('@superscalar/error'), { value: true });
    for (const kind of ['@superscalar/adaptor:AdaptorError', '@superscalar/adaptor:SignatureMismatchError']) {
      proto = Object.create(proto);
      Object.defineProperty(proto, Symbol.for('@superscalar/error-kind'), { value: kind });
    }
    expect(AdaptorError.isInstance(Object.create(proto))).toBe(true);
    expect(SignatureMismatchError.isInstance(Object.create(proto))).toBe(true);
    expect(InvalidPresignatureError.isInstance(Object.create(proto))).toBe(false);
    expect(AdaptorError.isInstance(new Error('x'))).toBe(false);
    expect(AdaptorError.isInstance(undefined)).toBe(false);
  });
});
