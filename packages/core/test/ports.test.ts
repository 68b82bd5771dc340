import { describe, expect, it } from 'vitest';
import {
  coinType,
  consoleLogger,
  cryptoRng,
  isNetwork,
  manualClock,
  segwitHrp,
  systemClock,
} from '../src/index.js';

describe('ports', () => {
  it('cryptoRng returns the length asked for, beyond one getRandomValues call', () => {
    expect(cryptoRng(0).length).toBe(0);
    const big = cryptoRng(70_000);
    expect(big.length).toBe(70_000);
    // The tail past the first 65,536-byte chunk is filled too (all-zero would have p = 2^-35,000).
    expect(big.subarray(65_536).some((x) => x !== 0)).toBe(true);
  });

  it('manualClock moves only forward', () => {
    const c = manualClock(1000);
    c.advance(500);
    expect(c.now()).toBe(1500);
    c.set(1200);
    expect(c.now()).toBe(1500);
    expect(() => c.advance(-1)).toThrow(RangeError);
    const s = systemClock();
    expect(s.now()).toBeGreaterThanOrEqual(Date.now() - 1000);
  });

  it('consoleLogger filters by level and renders bigint and bytes', () => {
    const lines: string[] = [];
    const log = consoleLogger('info', (l) => lines.push(l));
    log.log({ level: 'debug', module: 'm', msg: 'hidden' });
    log.log({
      level: 'warn',
      module: 'wallet',
      msg: 'low fee pool',
      fields: { sats: 5n, id: new Uint8Array([1, 255]) },
    });
    expect(lines).toEqual(['WARN [wallet] low fee pool {"sats":"5","id":"01ff"}']);
  });

  it('networks', () => {
    expect(segwitHrp('regtest')).toBe('bcrt');
    expect(segwitHrp('signet')).toBe('tb');
    expect(segwitHrp('mainnet')).toBe('bc');
    expect(coinType('testnet4')).toBe(1);
    expect(isNetwork('testnet')).toBe(false);
    expect(isNetwork('signet')).toBe(true);
  });
});
