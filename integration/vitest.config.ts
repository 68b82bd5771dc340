import { project } from '../vitest.shared.js';

// As persist's: `pg` (the PostgreSQL suites open the LSP's store) is CommonJS, and the shared `import`
// condition would make its `require('pg-pool')` load pg-pool's ESM wrapper; Node adds `import` and
// `require` by itself.
const config = project('integration', 120_000);
if (config.ssr?.resolve) config.ssr.resolve.conditions = ['source', 'node', 'default'];
export default config;
