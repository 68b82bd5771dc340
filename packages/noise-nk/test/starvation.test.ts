// Listener starvation (issue 17 item 1), reproduced without sockets on one virtual clock: FakeTimers
// drives the sessions' deadlines and is the Acceptor's clock (the limiter's rate window).
//
// The attack: a few source addresses, each under its 10-per-minute rate, open connections that never
// send a byte and reopen them the moment a slot frees (refused attempts are free: they are not counted
// against the rate). Under the brief's v1 defaults (4 handshakes in progress in all, an idle connection
// held for the whole 10 s handshake deadline) 4 addresses keep every slot full and no honest client gets
// in. Under the v2 defaults (2 per address, 64 in all, act one due within 2 s) every honest client does.
//
// Model: time moves in 100 ms steps; in each step every attacker address first tries one connection
// (the attacker reconnects within milliseconds of a close, so it wins every race for a freed slot),
// then, once a second, an honest client (each from its own address) connects and runs a real NK
// handshake.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { Acceptor, type AcceptorOptions } from '../src/acceptor.js';
import { ConnectionLimiter } from '../src/connectionLimiter.js';
import { HandshakeTimeoutError, type NoiseError, RateLimitedError } from '../src/errors.js';
import { connect, type NoiseSession } from '../src/session.js';
import { FakeTimers, key, memoryPair } from './_helpers.js';

const SERVER = key(7);
const SERVER_PUB = secp256k1.getPublicKey(SERVER, true);
const STEP_MS = 100;

/** Lets every pending microtask and I/O callback run (no real time is measured). */
const settle = () => new Promise<void>((r) => setImmediate(r));

/** The brief's v1 defaults, which the attack defeats. */
const V1: Partial<AcceptorOptions> = {
  maxConcurrentHandshakes: 4,
  maxHandshakesPerIp: 64,
  actOneTimeoutMs: 10_000,
};

interface AttackReport {
  readonly honestTried: number;
  readonly honestOpened: number;
  /** Seconds (from the start) at which honest clients failed to get a session. */
  readonly honestFailedAt: readonly number[];
  /** Attacker connections the listener admitted. */
  readonly attackerAdmitted: number;
  /** Errors the listener reported, by code (and limit / deadline). */
  readonly reported: Record<string, number>;
  /** The most handshakes in progress seen at once. */
  readonly peakHandshakes: number;
}

async function runAttack(
  attackers: number,
  seconds: number,
  limits: Partial<AcceptorOptions>,
): Promise<AttackReport> {
  const timers = new FakeTimers(1_000_000);
  const reported: Record<string, number> = {};
  const opened: NoiseSession[] = [];
  const acceptor = new Acceptor({
    localStatic: SERVER,
    timers,
    clock: timers,
    onSession: (s) => opened.push(s),
    onError: (e: NoiseError) => {
      const k = RateLimitedError.isInstance(e)
        ? `${e.code}:${e.limit}`
        : HandshakeTimeoutError.isInstance(e)
          ? `${e.code}:${e.deadline}`
          : e.code;
      reported[k] = (reported[k] ?? 0) + 1;
    },
    ...limits,
  });
  let attackerAdmitted = 0;
  let honestTried = 0;
  let honestOpened = 0;
  const honestFailedAt: number[] = [];
  let peakHandshakes = 0;
  for (let step = 0; step < (seconds * 1000) / STEP_MS; step++) {
    for (let a = 0; a < attackers; a++) {
      const [, server] = memoryPair(); // the attacker's end never writes
      let refused = false;
      acceptor.handle(
        { address: `10.0.0.${a + 1}`, port: 40_000 + step },
        () => server,
        () => {
          refused = true;
          server.destroy();
        },
      );
      if (!refused) attackerAdmitted++;
    }
    peakHandshakes = Math.max(peakHandshakes, acceptor.activeHandshakes);
    if (step % (1000 / STEP_MS) === 5) {
      honestTried++;
      const at = (step * STEP_MS) / 1000;
      const [client, server] = memoryPair();
      acceptor.handle(
        { address: `192.0.2.${honestTried}`, port: 50_000 + step },
        () => server,
        () => server.destroy(),
      );
      connect(client, { remoteStatic: SERVER_PUB, timers }).then(
        (s) => {
          honestOpened++;
          s.destroy();
        },
        () => honestFailedAt.push(at),
      );
    }
    await settle();
    timers.advance(STEP_MS);
    await settle();
  }
  await acceptor.close();
  return { honestTried, honestOpened, honestFailedAt, attackerAdmitted, reported, peakHandshakes };
}

describe('listener starvation by idle connections (issue 17.1)', () => {
  it('v1 defaults (4 in all, 10 s per idle connection): 4 addresses under their rate limit lock out every honest client', async () => {
    const r = await runAttack(4, 60, V1);
    console.log('v1 defaults, 4 attacker addresses, 60 s:', r);
    expect(r.honestTried).toBe(60);
    expect(r.honestOpened).toBe(0);
    // Every attacker address stayed under its rate: at most 10 admissions each in the minute.
    expect(r.attackerAdmitted).toBeLessThanOrEqual(40);
    expect(r.reported['NOISE_RATE_LIMITED:per_ip_rate'] ?? 0).toBe(0);
  });

  it('the defaults (2 per address, 64 in all, act one within 2 s): the same attack admits every honest client', async () => {
    const r = await runAttack(4, 60, {});
    console.log('v2 defaults, 4 attacker addresses, 60 s:', r);
    expect(r.honestOpened).toBe(r.honestTried);
    expect(r.honestTried).toBe(60);
    expect(r.peakHandshakes).toBeLessThanOrEqual(8);
    // Idle connections were cut at the act-one deadline, not the handshake deadline.
    expect(r.reported['NOISE_HANDSHAKE_TIMEOUT:act_one']).toBeGreaterThan(0);
    expect(r.reported['NOISE_HANDSHAKE_TIMEOUT:handshake'] ?? 0).toBe(0);
  });

  // With 2 per address and 64 in all, 32 addresses can fill every slot. What bounds them is what a
  // slot costs: an address buys 10 admissions a minute, each holding a slot for the act-one deadline,
  // so 10 × 2 s = 20 slot-seconds a minute (against 100 with a 10 s deadline). Keeping 64 slots full
  // all the time then takes 64 × 60 / 20 = 192 addresses; 40 addresses that spend their whole minute's
  // budget at once black the listener out for about 10 s a minute, and not in between.
  it('the act-one deadline matters: 40 addresses hold 64 slots most of the time with 10 s per idle connection, ~10 s a minute with 2 s', async () => {
    const without = await runAttack(40, 60, { actOneTimeoutMs: 10_000 });
    console.log('2 per address, 64 in all, no act-one deadline, 40 addresses, 60 s:', without);
    expect(without.honestOpened).toBeLessThan(without.honestTried / 2);
    const defaults = await runAttack(40, 120, {});
    console.log('v2 defaults, 40 addresses, 120 s:', defaults);
    expect(defaults.honestFailedAt.every((t) => t % 60 < 10)).toBe(true);
    expect(defaults.honestOpened).toBeGreaterThanOrEqual(100);
  });
});

describe('ConnectionLimiter defaults', () => {
  it('2 handshakes in progress per address, 64 in all, 10 admissions per address per minute', () => {
    const l = new ConnectionLimiter();
    const a1 = l.admit('a', 0);
    const a2 = l.admit('a', 0);
    expect([a1.ok, a2.ok]).toEqual([true, true]);
    expect(l.admit('a', 0)).toEqual({ ok: false, limit: 'per_ip_handshakes' });
    expect(l.activeHandshakesFrom('a')).toBe(2);
    if (a1.ok) a1.release();
    expect(l.admit('a', 0).ok).toBe(true);
    for (let i = 0; i < 31; i++) for (const ip of [`x${i}`, `y${i}`]) expect(l.admit(ip, 0).ok).toBe(true);
    expect(l.activeHandshakes).toBe(64);
    expect(l.admit('z', 0)).toEqual({ ok: false, limit: 'concurrent_handshakes' });
    const r = new ConnectionLimiter();
    for (let i = 0; i < 10; i++) {
      const adm = r.admit('b', i);
      if (adm.ok) adm.release();
    }
    expect(r.admit('b', 59_999)).toEqual({ ok: false, limit: 'per_ip_rate' });
    expect(r.admit('b', 60_000).ok).toBe(true);
  });
});
