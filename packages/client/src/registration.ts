/**
 * Registration, client side (roles memo §3 step 1): each registration allocates the next factory
 * index — a fresh factory key and close address, never reused (brief §1) — and is persisted before
 * `factory_register` leaves; an unanswered one is sent again on every reconnection (the LSP answers a
 * repeated identical registration without a new record). After an abort the client registers again
 * with the same terms and a fresh index (`policy.reRegister`).
 *
 * @module
 */
import { equalBytes, toHex } from '@superscalar/core';
import type { FactoryRegister, FactoryRegisterResponse } from '@superscalar/wire';
import type { ClientCore } from './_core.js';
import type { StoredRegistration } from './codec.js';
import { InvalidArgumentError, StaleMessageError } from './errors.js';

/** The `register` command (also used to register again after an abort). */
export function register(
  core: ClientCore,
  terms: { capacity: bigint; balance: bigint; profile?: StoredRegistration['profile'] },
): StoredRegistration {
  if (typeof terms.capacity !== 'bigint' || terms.capacity <= 0n)
    throw new InvalidArgumentError('command.capacity', 'expected sats (bigint > 0)');
  if (typeof terms.balance !== 'bigint' || terms.balance < 0n || terms.balance > terms.capacity)
    throw new InvalidArgumentError('command.balance', 'expected sats within the capacity');
  const p = terms.profile;
  if (
    p !== undefined &&
    (typeof p !== 'object' ||
      typeof p.contribution !== 'bigint' ||
      !Number.isFinite(p.uptime) ||
      !Number.isFinite(p.timezone))
  )
    throw new InvalidArgumentError('command.profile', 'expected { contribution: bigint, uptime, timezone }');
  const factoryIndex = core.meta.nextFactoryIndex;
  core.meta = { ...core.meta, nextFactoryIndex: factoryIndex + 1 };
  const r: StoredRegistration = {
    factoryIndex,
    factoryKey: core.keys.factoryKey(factoryIndex).publicKey,
    capacity: terms.capacity,
    balance: terms.balance,
    ...(p === undefined ? {} : { profile: { ...p } }),
    status: 'pending',
  };
  core.saveMeta();
  core.saveRegistration(r);
  if (core.connected) core.send(registerMessage(core, r));
  return r;
}

/** The `factory_register` of a registration. */
export function registerMessage(core: ClientCore, r: StoredRegistration): FactoryRegister {
  return {
    type: 'factory_register',
    factoryKey: r.factoryKey,
    closeScript: core.keys.closeAddress(r.factoryIndex).scriptPubKey,
    capacity: r.capacity,
    balance: r.balance,
    ...(r.profile === undefined ? {} : { profile: r.profile }),
  };
}

/** `factory_register_response`. */
export function onRegisterResponse(core: ClientCore, peer: string, m: FactoryRegisterResponse): void {
  const r = [...core.registrations.values()].find((x) => equalBytes(x.factoryKey, m.factoryKey));
  if (r === undefined || r.status !== 'pending')
    throw new StaleMessageError(
      peer,
      `a response for registration ${toHex(m.factoryKey)} that is not pending`,
    );
  if (m.grant !== undefined) {
    const g = m.grant;
    core.saveRegistration({
      ...r,
      status: 'granted',
      granted: {
        capacity: g.capacity,
        balance: g.balance,
        feeBaseMsat: g.feeBaseMsat,
        feeProportionalMillionths: g.feeProportionalMillionths,
      },
    });
    core.event({
      kind: 'RegistrationGranted',
      factoryIndex: r.factoryIndex,
      factoryKey: toHex(r.factoryKey),
      capacity: g.capacity,
      balance: g.balance,
      feeBaseMsat: g.feeBaseMsat,
      feeProportionalMillionths: g.feeProportionalMillionths,
    });
    return;
  }
  const refusal = m.refusal ?? { reason: 0, text: '' };
  core.saveRegistration({ ...r, status: 'refused' });
  core.event({
    kind: 'RegistrationRefused',
    factoryIndex: r.factoryIndex,
    factoryKey: toHex(r.factoryKey),
    reason: refusal.reason,
    text: refusal.text,
  });
}

/** Sends every registration the LSP has not answered (after a connection). */
export function resendPending(core: ClientCore): void {
  for (const r of core.registrations.values())
    if (r.status === 'pending') core.send(registerMessage(core, r));
}
