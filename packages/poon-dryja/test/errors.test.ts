// The error pattern of issue 16: every exported class tagged with its own kind, codes prefixed
// CHANNEL_, `isInstance` exact between siblings, and the state machine's `action` kept.
import { SuperscalarError } from '@superscalar/core';
import { errorClassProblems } from '@superscalar/core/test';
import { describe, expect, it } from 'vitest';
import * as mod from '../src/index.js';

describe('errors', () => {
  it('every exported error class is tagged with its own kind', () => {
    expect(errorClassProblems(mod, 'poon-dryja')).toEqual([]);
  });

  it('codes are prefixed CHANNEL_; isInstance is exact between siblings; action is kept', () => {
    const errors = [
      new mod.InvalidArgumentError('x', 'bad'),
      new mod.DecodeError('truncated', 3),
      new mod.SelfVerificationError('penalty'),
      new mod.IllegalStepError('phase', 'disconnect', 'peer', 'unexpected'),
      new mod.SignatureRejectedError('partial', 5, 'does not verify'),
      new mod.ChannelClosedError('closed'),
      new mod.InvariantError('update-log', 'removal of unknown HTLC'),
    ];
    for (const e of errors) {
      expect(e.code.startsWith('CHANNEL_')).toBe(true);
      expect(mod.PoonDryjaError.isInstance(e)).toBe(true);
      expect(SuperscalarError.isInstance(e)).toBe(true);
    }
    const [arg, dec, , step, sig, closed, invariant] = errors;
    expect(mod.ChannelError.isInstance(invariant)).toBe(false);
    expect((invariant as mod.InvariantError).invariant).toBe('update-log');
    expect(mod.DecodeError.isInstance(arg)).toBe(false);
    expect(mod.InvalidArgumentError.isInstance(dec)).toBe(false);
    expect(mod.ChannelError.isInstance(dec)).toBe(false);
    expect(mod.ChannelError.isInstance(step)).toBe(true);
    expect(mod.SignatureRejectedError.isInstance(step)).toBe(false);
    expect(mod.IllegalStepError.isInstance(sig)).toBe(false);
    expect((step as mod.ChannelError).action).toBe('disconnect');
    expect((sig as mod.ChannelError).action).toBe('force-close');
    expect((closed as mod.ChannelError).action).toBe('ignore');
    expect(new Set(errors.map((e) => e.code)).size).toBe(errors.length);
  });

  it('no exported function lets a RangeError, TypeError or bare Error escape on missing arguments', () => {
    const escaped: string[] = [];
    let probed = 0;
    for (const [name, f] of Object.entries(mod)) {
      if (typeof f !== 'function' || /^[A-Z]/.test(name)) continue;
      probed++;
      for (const args of [[], [undefined, undefined, undefined]]) {
        try {
          (f as (...a: unknown[]) => unknown)(...args);
        } catch (e) {
          if (!SuperscalarError.isInstance(e)) escaped.push(`${name}: ${String(e)}`);
        }
      }
    }
    expect(probed).toBeGreaterThan(30);
    expect(escaped).toEqual([]);
  });
});
