// Shared test helpers for every package's tests (never imported from src/).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ci = process.env.CI === 'true' || process.env.CI === '1';

function knob(name: string, full: number, inCi: number): number {
  const raw = process.env[name];
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
    return n;
  }
  return ci ? inCi : full;
}

/** fast-check runs per property: `PROPERTY_RUNS`, else `full` locally and `inCi` under CI=true. */
export const propertyRuns = (full = 1_000, inCi = 100): number => knob('PROPERTY_RUNS', full, inCi);
/** SIGKILLs in a crash test: `CRASH_KILLS`, else `full` locally and `inCi` under CI=true. */
export const crashKills = (full = 300, inCi = 40): number => knob('CRASH_KILLS', full, inCi);
/** Inputs per decoder in a fuzz suite: `FUZZ_ITERATIONS`, else `full` locally and `inCi` under CI=true. */
export const fuzzIterations = (full = 1_000_000, inCi = 20_000): number =>
  knob('FUZZ_ITERATIONS', full, inCi);
/** True under CI=true: suites that must not skip there (PostgreSQL) fail instead. */
export const isCi = ci;

/** The repository root (where `vectors/` lives). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Reads `vectors/<path>` as UTF-8 text. */
export function vectorText(path: string): string {
  return readFileSync(join(repoRoot, 'vectors', path), 'utf8');
}

/** Reads and parses `vectors/<path>` as JSON. */
export function vectorJson<T = unknown>(path: string): T {
  return JSON.parse(vectorText(path)) as T;
}

/**
 * Extracts the README's quickstart (the first ```ts block after a heading containing "Quickstart"),
 * writes it as a module beside the README and imports it, so the README's example is executed as
 * written. Returns the module's exports. Call it from a test in the package.
 */
export async function runReadmeQuickstart(packageDir: string): Promise<Record<string, unknown>> {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const at = readme.search(/^#+ .*Quickstart/im);
  if (at < 0) throw new Error(`${packageDir}/README.md has no Quickstart heading`);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!block?.[1])
    throw new Error(`${packageDir}/README.md has no \`\`\`ts block after its Quickstart heading`);
  const dir = join(packageDir, 'test', '.readme');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `quickstart-${process.pid}-${Date.now()}.ts`);
  writeFileSync(file, block[1]);
  try {
    return (await import(file)) as Record<string, unknown>;
  } finally {
    rmSync(file, { force: true });
  }
}

/**
 * Bundles `packages/<pkg>/<entry>` (default `src/index.ts`) for the browser (esbuild,
 * `--platform=browser`, the `source` condition) into a fresh temporary directory. Returns the
 * bundle's path and text and a `cleanup`.
 */
export function browserBundle(
  pkg: string,
  entry = 'src/index.ts',
): { path: string; code: string; cleanup(): void } {
  const pkgDir = join(repoRoot, 'packages', pkg);
  const dir = mkdtempSync(join(tmpdir(), `${pkg}-browser-`));
  const path = join(dir, 'bundle.mjs');
  execFileSync(
    join(repoRoot, 'node_modules', '.bin', 'esbuild'),
    [
      join(pkgDir, entry),
      '--bundle',
      '--platform=browser',
      '--format=esm',
      '--conditions=source',
      `--outfile=${path}`,
      '--log-level=error',
    ],
    { cwd: pkgDir },
  );
  return {
    path,
    code: readFileSync(path, 'utf8'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
