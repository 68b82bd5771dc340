import { project } from '../../vitest.shared.js';

// As persist's: the shared Node conditions include `import`, which breaks `require('pg-pool')` inside
// pg (the standalone tower's test reads a role's entries from PostgreSQL), so this project drops it.
const config = project('watchtower', 60_000);
if (config.ssr?.resolve) config.ssr.resolve.conditions = ['source', 'node', 'default'];
export default config;
