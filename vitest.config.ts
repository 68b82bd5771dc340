import { defineConfig } from 'vitest/config';

// One run over every workspace project. Each project resolves sibling packages through the
// `source` export condition, so tests run on TypeScript sources without a build step.
export default defineConfig({
  test: {
    projects: ['packages/*', 'integration', 'examples/*'],
  },
});
