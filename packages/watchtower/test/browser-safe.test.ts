// The tower's core runs in browsers (the client embeds it): bundling src/index.ts for the browser must
// reach no Node built-in and none of the Node-only subpaths (persist's drivers, chain's bitcoind and
// SimChain server, this package's ./node runner).
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

describe('browser safety', () => {
  it('src/index.ts bundles for the browser with every Node built-in forbidden', async () => {
    const r = await build({
      entryPoints: [join(import.meta.dirname, '..', 'src', 'index.ts')],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      conditions: ['source'],
      logLevel: 'silent',
      metafile: true,
    });
    const inputs = Object.keys(r.metafile.inputs);
    expect(inputs.some((p) => p.endsWith('src/tower.ts'))).toBe(true);
    expect(inputs.some((p) => p.includes('wallet/src/wallet.ts'))).toBe(true); // the fee wallet's core is in
    expect(
      inputs.filter(
        (p) =>
          p.startsWith('node:') ||
          /sim-server|bitcoind|better-sqlite3|[/]pg[/]|persist[/]src[/](sqlite|postgres)|(^|[/])src[/]node[/]/.test(
            p,
          ),
      ),
    ).toEqual([]);
    console.log(
      `browser bundle: ${(r.outputFiles[0]!.contents.length / 1024).toFixed(0)} KiB from ${inputs.length} files`,
    );
  });
});
