import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { vectorJson } from '../../../test-utils/index.js';
import {
  commitmentNumberFromLocks,
  derivePrivkey,
  derivePubkey,
  deriveRevocationPrivkey,
  deriveRevocationPubkey,
  InvalidArgumentError,
  obscuredLocks,
  obscuringFactor,
  PoonDryjaError,
  perCommitmentPoint,
} from '../src/index.js';

interface KeyVectors {
  key_derivation: {
    inputs: {
      base_secret: string;
      per_commitment_secret: string;
      base_point: string;
      per_commitment_point: string;
    };
    cases: { name: string; expected: Record<string, string> }[];
  };
  obscured_commitment_number: {
    opener_payment_basepoint: string;
    accepter_payment_basepoint: string;
    obscuring_factor: string;
    commitment_number: number;
  };
}

const v = vectorJson<KeyVectors>('bolt3/key-derivation.json');
const inp = v.key_derivation.inputs;
const baseSecret = hexToBytes(inp.base_secret);
const pcSecret = hexToBytes(inp.per_commitment_secret);
const basePoint = hexToBytes(inp.base_point);
const pcPoint = hexToBytes(inp.per_commitment_point);

describe('BOLT 3 key derivation vectors (vectors/bolt3/key-derivation.json)', () => {
  it('the inputs are consistent: base_point = base_secret·G, per_commitment_point = per_commitment_secret·G', () => {
    expect(bytesToHex(perCommitmentPoint(baseSecret))).toBe(inp.base_point);
    expect(bytesToHex(perCommitmentPoint(pcSecret))).toBe(inp.per_commitment_point);
  });

  const compute: Record<string, () => Uint8Array> = {
    localpubkey: () => derivePubkey(basePoint, pcPoint),
    localprivkey: () => derivePrivkey(baseSecret, pcPoint),
    revocationpubkey: () => deriveRevocationPubkey(basePoint, pcPoint),
    revocationprivkey: () => deriveRevocationPrivkey(baseSecret, pcSecret),
  };
  it('covers every case in the file', () => {
    const names = v.key_derivation.cases.flatMap((c) => Object.keys(c.expected));
    expect(names.sort()).toEqual(Object.keys(compute).sort());
  });
  for (const c of v.key_derivation.cases) {
    for (const [field, hex] of Object.entries(c.expected)) {
      it(`${c.name}: ${field}`, () => {
        const f = compute[field];
        if (f === undefined) throw new Error(`no derivation for ${field}`);
        expect(bytesToHex(f())).toBe(hex);
      });
    }
  }
  it('each derived secret matches its derived public key', () => {
    expect(perCommitmentPoint(derivePrivkey(baseSecret, pcPoint))).toEqual(derivePubkey(basePoint, pcPoint));
    expect(perCommitmentPoint(deriveRevocationPrivkey(baseSecret, pcSecret))).toEqual(
      deriveRevocationPubkey(basePoint, pcPoint),
    );
  });
});

describe('obscured commitment number (BOLT 3 Appendix C)', () => {
  const o = v.obscured_commitment_number;
  const factor = obscuringFactor(
    hexToBytes(o.opener_payment_basepoint),
    hexToBytes(o.accepter_payment_basepoint),
  );
  it('the obscuring factor is the vector’s, LSP (opener) basepoint first', () => {
    expect(factor.toString(16).padStart(12, '0')).toBe(o.obscuring_factor);
    expect(
      obscuringFactor(hexToBytes(o.accepter_payment_basepoint), hexToBytes(o.opener_payment_basepoint)),
    ).not.toBe(factor);
  });
  it('commitment 42: nSequence 0x80 | upper 24 bits, nLockTime 0x20 | lower 24 bits (BOLT 3 sample values)', () => {
    const locks = obscuredLocks(o.commitment_number, factor);
    // BOLT 3 Appendix C, "simple commitment tx with no HTLCs": locktime 542251326, sequence 2150346808.
    expect(locks.locktime).toBe(542251326);
    expect(locks.sequence).toBe(2150346808);
    expect(commitmentNumberFromLocks(locks.sequence, locks.locktime, factor)).toBe(42);
  });
  it('round-trips the largest commitment number', () => {
    const n = 2 ** 48 - 1;
    const l = obscuredLocks(n, factor);
    expect(commitmentNumberFromLocks(l.sequence, l.locktime, factor)).toBe(n);
    expect(() => obscuredLocks(n + 1, factor)).toThrow(InvalidArgumentError);
  });
});

describe('bad keys are typed errors naming the argument', () => {
  it('an off-curve basepoint', () => {
    const bad = Uint8Array.from(basePoint);
    bad[0] = 0x05;
    try {
      derivePubkey(bad, pcPoint);
      expect.unreachable();
    } catch (e) {
      expect(PoonDryjaError.isInstance(e)).toBe(true);
      expect((e as InvalidArgumentError).argument).toBe('basepoint');
    }
  });
  it('a zero or too-large secret', () => {
    expect(() => perCommitmentPoint(new Uint8Array(32))).toThrow(/perCommitmentSecret/);
    expect(() => derivePrivkey(new Uint8Array(32).fill(0xff), pcPoint)).toThrow(/basepointSecret/);
    expect(() => deriveRevocationPubkey(basePoint, new Uint8Array(32))).toThrow(/perCommitmentPoint/);
  });
});
