/**
 * Runs the SimChain server as a child process (for crash tests: kill -9 the processes under test,
 * or the server itself, and restart it on the same datadir).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Unavailable } from '../errors.js';

/** What the CLI prints once listening. */
export interface SpawnedSimServer {
  readonly url: string;
  readonly port: number;
  readonly cookieFile: string | null;
  readonly datadir: string | null;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Sends `signal` (default SIGTERM) and resolves when the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Options of {@link spawnSimServer}. */
export interface SpawnSimServerOptions {
  readonly datadir: string;
  /** Default 0 (a free port). */
  readonly port?: number;
  /** Further CLI arguments. */
  readonly args?: readonly string[];
  /** How long to wait for the first line, ms (default 30,000). */
  readonly startTimeoutMs?: number;
}

/**
 * Starts `cli` in a new Node process and resolves with the line it prints. From the package's
 * sources (tests), the CLI runs through `tsx`, which must be installed.
 */
export function spawnSimServer(options: SpawnSimServerOptions): Promise<SpawnedSimServer> {
  const fromSource = import.meta.url.endsWith('.ts');
  const cli = fileURLToPath(new URL(fromSource ? './cli.ts' : './cli.js', import.meta.url));
  const child = spawn(
    process.execPath,
    [
      // From sources, sibling packages resolve through their `source` condition (no dist/ in a clone).
      ...(fromSource ? ['--conditions=source', '--import', 'tsx'] : []),
      cli,
      '--datadir',
      options.datadir,
      '--port',
      String(options.port ?? 0),
      ...(options.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Unavailable(`SimChain server did not start: ${stderr}`));
    }, options.startTimeoutMs ?? 30_000);
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        const info = JSON.parse(line) as Omit<SpawnedSimServer, 'child' | 'kill'>;
        resolve({
          ...info,
          child,
          kill: (signal: NodeJS.Signals = 'SIGTERM') => {
            child.kill(signal);
            return exited;
          },
        });
      } catch (e) {
        child.kill('SIGKILL');
        reject(new Unavailable(`SimChain server printed ${line.slice(0, 200)}`, { cause: e }));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Unavailable(`SimChain server exited with ${code}: ${stderr}`));
    });
  });
}
