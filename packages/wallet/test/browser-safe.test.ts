// The wallet's core runs in browsers (the client): bundling src/index.ts for the browser must reach no
// Node built-in, through any dependency (chain's root, persist's root, keys, tx, core, noble, scure).
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
    expect(inputs.some((p) => p.includes('chain/src/index.ts'))).toBe(true); // the chain root is in
    expect(
      inputs.filter((p) => p.startsWith('node:') || p.includes('sim-server') || p.includes('bitcoind')),
    ).toEqual([]);
    console.log(
      `browser bundle: ${(r.outputFiles[0]!.contents.length / 1024).toFixed(0)} KiB from ${inputs.length} files`,
    );
  });
});
