// Shared test helpers for every package's tests (never imported from src/).
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll } from 'vitest';

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

/**
 * Bundles `entry` for the browser in memory (esbuild, `--platform=browser`, the `source` condition):
 * the modules it reached (esbuild's metafile inputs) and the bundle's size, for browser-safety tests.
 */
export async function browserInputs(entry: string): Promise<{ inputs: string[]; bytes: number }> {
  const r = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'esm',
    conditions: ['source'],
    logLevel: 'silent',
    metafile: true,
  });
  return { inputs: Object.keys(r.metafile.inputs), bytes: r.outputFiles[0]?.contents.length ?? 0 };
}

/**
 * xorshift32: a seeded generator of 32-bit unsigned integers, so a test replays exactly from its seed.
 * A seed of 0 (which xorshift cannot leave) starts from `zeroSeed` instead.
 */
export function xorshift32(seed: number, zeroSeed = 1): () => number {
  let s = seed >>> 0 || zeroSeed;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** Uniform numbers in [0, 1) from {@link xorshift32}. */
export function uniformRng(seed: number): () => number {
  const next = xorshift32(seed);
  return () => next() / 2 ** 32;
}

/** A deterministic `Rng` of `@superscalar/core` (`(n) => n bytes`, xorshift32's low bytes). */
export function seededRng(seed: number): (n: number) => Uint8Array {
  const next = xorshift32(seed);
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = next() & 0xff;
    return out;
  };
}

/** A fuzzer's source of choices: `int(n)` in [0, n) and `bytes(n)`, from {@link xorshift32}. */
export interface FuzzRng {
  int(n: number): number;
  bytes(n: number): Uint8Array;
}

/** A {@link FuzzRng} seeded with `seed` (0 starts from `zeroSeed`). */
export function fuzzRng(seed: number, zeroSeed = 1): FuzzRng {
  const next = xorshift32(seed, zeroSeed);
  return {
    int: (n) => next() % n,
    bytes: (n) => {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = next() & 0xff;
      return b;
    },
  };
}

/** The error `f` throws (the test fails when it returns). */
export function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

/** Options of {@link bundleForNode}. */
export interface BundleForNodeOptions {
  /** The child's entry module (absolute path). */
  readonly entry: string;
  /** The bundle to write (absolute path; its folder must exist). */
  readonly outfile: string;
  /** Where esbuild runs (and resolves from); default the current directory. */
  readonly cwd?: string;
  /** What the error says failed to bundle, e.g. `the crash child`. */
  readonly name: string;
  readonly minify?: boolean;
  /**
   * Bundle `pg` (CommonJS) in and give the bundle a `require` for its Node built-ins, instead of
   * leaving `pg` external. `better-sqlite3` is always external.
   */
  readonly bundleCommonJs?: boolean;
}

/**
 * Bundles a child process's entry with esbuild for Node 20 (ESM, the `source` condition), as the
 * kill -9 tests run their children. Throws with esbuild's output when it fails.
 */
export function bundleForNode(o: BundleForNodeOptions): void {
  const r = spawnSync(
    join(repoRoot, 'node_modules', '.bin', 'esbuild'),
    [
      o.entry,
      '--bundle',
      ...(o.minify ? ['--minify'] : []),
      '--platform=node',
      '--format=esm',
      '--target=node20',
      '--conditions=source',
      '--external:better-sqlite3',
      ...(o.bundleCommonJs
        ? [
            "--banner:js=import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
          ]
        : ['--external:pg']),
      `--outfile=${o.outfile}`,
      '--log-level=warning',
    ],
    { encoding: 'utf8', ...(o.cwd === undefined ? {} : { cwd: o.cwd }) },
  );
  if (r.status !== 0) throw new Error(`bundling ${o.name} failed: ${r.stderr}`);
}

/** The seed of a kill -9 suite's choices: `CRASH_SEED`, else one from the clock (print it). */
export function crashSeed(): number {
  return Number(process.env.CRASH_SEED ?? Date.now() % 100_000);
}

/**
 * A test file's child process, bundled (with {@link bundleForNode}) before its tests into
 * `<dir>/node_modules/.cache/<cache>-<pid>/` and removed after them. Returns the bundle's path.
 */
export function bundledChild(o: {
  /** The package (or folder) the child belongs to: esbuild runs there. */
  readonly dir: string;
  /** The entry, relative to `dir`. */
  readonly entry: string;
  readonly name: string;
  readonly cache: string;
  readonly bundleCommonJs?: boolean;
}): string {
  const bundleDir = join(o.dir, 'node_modules', '.cache', `${o.cache}-${process.pid}`);
  const bundle = join(bundleDir, `${basename(o.entry, '.ts')}.mjs`);
  beforeAll(() => {
    mkdirSync(bundleDir, { recursive: true });
    bundleForNode({
      entry: join(o.dir, o.entry),
      outfile: bundle,
      cwd: o.dir,
      name: o.name,
      ...(o.bundleCommonJs === undefined ? {} : { bundleCommonJs: o.bundleCommonJs }),
    });
  });
  afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));
  return bundle;
}

/** A child process that reports one JSON object a line on stdout (see {@link spawnJsonChild}). */
export interface JsonChild {
  readonly proc: ChildProcess;
  /** Resolves with the first line matching `pred` (rejects if the child exits first, or on timeout). */
  until(
    pred: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** kill -9, resolved once the process is gone. */
  kill(): Promise<void>;
}

/**
 * Runs `node <bundle> <JSON config>` (stderr inherited) and reads its stdout as JSON lines. `until`
 * waits `defaultTimeoutMs` unless told otherwise (none: it waits until the child exits).
 */
export function spawnJsonChild(
  bundle: string,
  config: object,
  o: { readonly cwd: string; readonly name: string; readonly defaultTimeoutMs?: number },
): JsonChild {
  const proc = spawn(process.execPath, [bundle, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: o.cwd,
  });
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (l) => {
    lines.push(JSON.parse(l) as Record<string, unknown>);
    for (const w of waiters) w();
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    proc,
    until(pred, timeoutMs = o.defaultTimeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find(pred);
          if (hit === undefined) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
        };
        const timer =
          timeoutMs === undefined
            ? undefined
            : setTimeout(() => {
                waiters.delete(check);
                reject(
                  new Error(
                    `${o.name}: no matching line within ${timeoutMs} ms; saw ${JSON.stringify(lines)}`,
                  ),
                );
              }, timeoutMs);
        waiters.add(check);
        proc.once('exit', (code) =>
          reject(new Error(`${o.name} exited (${code}) first; saw ${JSON.stringify(lines)}`)),
        );
        check();
      });
    },
    async kill() {
      proc.kill('SIGKILL');
      await exited;
    },
  };
}
