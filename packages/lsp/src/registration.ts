/**
 * Registration (roles memo §3 step 1): a client brings a fresh factory key, its close address and the
 * channel it wants. The LSP checks its policy (amounts; the balance within brief §7's bound for the
 * capacity; a key it has seen before is `KEY_REUSED`, brief §1), stores the registration bound to the
 * peer's proven node id, journals the event, then answers. One waiting registration per peer: a newer
 * one replaces it. A repeated identical registration (a client resending after a reconnection) is
 * answered again without a new record.
 *
 * @module
 */
import { equalBytes, toHex } from '@superscalar/core';
import { defaultReserve, maxInitialClientBalance } from '@superscalar/poon-dryja';
import { type FactoryRegister, RegistrationRefusal } from '@superscalar/wire';
import type { LspCore } from './_core.js';
import type { StoredRegistration } from './codec.js';
import type { PeerId } from './io.js';

function refuse(core: LspCore, peer: PeerId, m: FactoryRegister, reason: number, text: string): void {
  core.event({ kind: 'RegistrationRefused', peer, factoryKey: toHex(m.factoryKey), reason, text });
  core.send(peer, { type: 'factory_register_response', factoryKey: m.factoryKey, refusal: { reason, text } });
  core.log('info', 'registration refused', { peer, reason, text });
}

function grant(core: LspCore, peer: PeerId, r: StoredRegistration): void {
  const p = core.policy;
  core.send(peer, {
    type: 'factory_register_response',
    factoryKey: r.key,
    grant: {
      capacity: r.capacity,
      balance: r.balance,
      feeBaseMsat: p.feeBaseMsat,
      feeProportionalMillionths: p.feeProportionalMillionths,
      htlcMinimumMsat: p.htlcMinimumMsat,
      htlcMaximumMsat: r.capacity * 1000n,
    },
  });
}

/** The largest initial balance a capacity allows (brief §7), within the policy's own cap. */
export function balanceBound(core: LspCore, capacity: bigint): bigint {
  const bound = maxInitialClientBalance(capacity, defaultReserve(capacity), core.policy.commitFeeRate);
  const cap = core.policy.maxBalance;
  return cap !== undefined && cap < bound ? cap : bound;
}

function sameTerms(r: StoredRegistration, peer: PeerId, m: FactoryRegister): boolean {
  return (
    r.peer === peer &&
    equalBytes(r.closeScript, m.closeScript) &&
    r.capacity === m.capacity &&
    r.balance === m.balance &&
    r.profile?.contribution === m.profile?.contribution &&
    r.profile?.uptime === m.profile?.uptime &&
    r.profile?.timezone === m.profile?.timezone
  );
}

/** `factory_register` from `peer`. */
export function onRegister(core: LspCore, peer: PeerId, m: FactoryRegister): void {
  const keyHex = toHex(m.factoryKey);
  const known = core.registrations.get(keyHex);
  if (known !== undefined) {
    if (known.status === 'waiting' && sameTerms(known, peer, m)) {
      grant(core, peer, known);
      return;
    }
    refuse(
      core,
      peer,
      m,
      RegistrationRefusal.KEY_REUSED,
      'this factory key was registered before: use a fresh key',
    );
    return;
  }
  if (keyHex === toHex(core.keys.nodeIdentity().publicKey) || seenInFactory(core, m.factoryKey)) {
    refuse(
      core,
      peer,
      m,
      RegistrationRefusal.KEY_REUSED,
      'this factory key was used before: use a fresh key',
    );
    return;
  }
  const p = core.policy;
  if (m.capacity < p.minCapacity || m.capacity > p.maxCapacity) {
    refuse(
      core,
      peer,
      m,
      RegistrationRefusal.AMOUNT_OUT_OF_RANGE,
      `capacity must be within ${p.minCapacity}..${p.maxCapacity} sats`,
    );
    return;
  }
  const bound = balanceBound(core, m.capacity);
  if (m.balance > bound) {
    refuse(
      core,
      peer,
      m,
      RegistrationRefusal.AMOUNT_OUT_OF_RANGE,
      `balance must be at most ${bound} sats for a capacity of ${m.capacity}`,
    );
    return;
  }
  const ops = [];
  for (const [k, r] of core.registrations)
    if (r.peer === peer && r.status === 'waiting') {
      // One waiting registration per peer: the newer replaces it (its key stays known as used).
      const used = { ...r, status: 'used' as const };
      core.registrations.set(k, used);
      ops.push(used);
    }
  const r: StoredRegistration = {
    peer,
    key: Uint8Array.from(m.factoryKey),
    closeScript: Uint8Array.from(m.closeScript),
    capacity: m.capacity,
    balance: m.balance,
    ...(m.profile === undefined ? {} : { profile: { ...m.profile } }),
    at: core.now,
    status: 'waiting',
  };
  core.registrations.set(keyHex, r);
  for (const u of ops) core.saveRegistration(u);
  core.saveRegistration(r);
  core.event({
    kind: 'RegistrationGranted',
    peer,
    factoryKey: keyHex,
    capacity: r.capacity,
    balance: r.balance,
  });
  grant(core, peer, r);
  core.log('debug', 'registration granted', { peer, capacity: r.capacity, balance: r.balance });
}

function seenInFactory(core: LspCore, key: Uint8Array): boolean {
  for (const f of core.factories.values())
    if (f.proposal.clients.some((c) => equalBytes(c.key, key))) return true;
  return false;
}
