// The wallet's core runs in browsers (the client): bundling src/index.ts for the browser must reach no
// Node built-in, through any dependency (chain's root, persist's root, keys, tx, core, noble, scure).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { browserInputs } from '../../../test-utils/index.js';

describe('browser safety', () => {
  it('src/index.ts bundles for the browser with every Node built-in forbidden', async () => {
    const { inputs, bytes } = await browserInputs(join(import.meta.dirname, '..', 'src', 'index.ts'));
    expect(inputs.some((p) => p.includes('chain/src/index.ts'))).toBe(true); // the chain root is in
    expect(
      inputs.filter((p) => p.startsWith('node:') || p.includes('sim-server') || p.includes('bitcoind')),
    ).toEqual([]);
    console.log(`browser bundle: ${(bytes / 1024).toFixed(0)} KiB from ${inputs.length} files`);
  });
});
