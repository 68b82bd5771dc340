import { project } from '../../vitest.shared.js';

// Vitest passes `ssr.resolve.conditions` to Node as `--conditions`; the shared list includes `import`,
// which makes CommonJS `require('pg-pool')` (inside pg) load pg-pool's ESM wrapper and fail. Node adds
// `import`/`require` by itself, so this project leaves `import` out.
const config = project('persist', 120_000);
if (config.ssr?.resolve) config.ssr.resolve.conditions = ['source', 'node', 'default'];
export default config;
