// Steps every roles test repeats: register every client, form, run the ceremony, confirm the funding.
import type { Client } from '@superscalar/client';
import type { Lsp, LspFactoryInfo } from '@superscalar/lsp';
import type { RoleNode, World } from './world.js';

/** Registers every client (connected first) with the same terms. */
export async function registerAll(
  w: World,
  terms: { capacity: bigint; balance: bigint } = { capacity: 20_000n, balance: 10_000n },
  clients: readonly RoleNode[] = w.clients,
): Promise<void> {
  for (const c of clients) {
    if (!w.net.isUp(c.nodeId, w.lsp.nodeId)) await w.connect(c);
    await c.input({ type: 'register', ...terms });
  }
  await w.drive();
}

/** The LSP's factories. */
export function lspFactories(w: World): LspFactoryInfo[] {
  return (w.lsp.machine as unknown as Lsp).factories();
}

/** The one live factory of the LSP (throws when there is not exactly one). */
export function factoryOf(w: World): LspFactoryInfo {
  const fs = lspFactories(w);
  if (fs.length !== 1) throw new Error(`expected one factory, the LSP holds ${fs.length}`);
  return fs[0] as LspFactoryInfo;
}

/** A client's machine. */
export function clientOf(n: RoleNode): Client {
  return n.machine as unknown as Client;
}

/** Registers, forms (command), runs the ceremony and mines until the factory is open. */
export async function openFactory(
  w: World,
  terms?: { capacity: bigint; balance: bigint },
): Promise<LspFactoryInfo> {
  await registerAll(w, terms);
  if (lspFactories(w).length === 0) await w.command(w.lsp, { type: 'form_factory' });
  const f = factoryOf(w);
  for (let i = 0; i < f.proposal.minimumDepth + 1 && factoryOf(w).phase !== 'open'; i++) await w.mine(1);
  return factoryOf(w);
}
