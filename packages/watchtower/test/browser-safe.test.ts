// The tower's core runs in browsers (the client embeds it): bundling src/index.ts for the browser must
// reach no Node built-in and none of the Node-only subpaths (persist's drivers, chain's bitcoind and
// SimChain server, this package's ./node runner).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { browserInputs } from '../../../test-utils/index.js';

describe('browser safety', () => {
  it('src/index.ts bundles for the browser with every Node built-in forbidden', async () => {
    const { inputs, bytes } = await browserInputs(join(import.meta.dirname, '..', 'src', 'index.ts'));
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
    console.log(`browser bundle: ${(bytes / 1024).toFixed(0)} KiB from ${inputs.length} files`);
  });
});
