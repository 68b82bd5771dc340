import { defineProject } from 'vitest/config';

/** The project settings every package shares; `name` labels its tests in the root run. */
export function project(name: string, testTimeout = 30_000) {
  return defineProject({
    resolve: { conditions: ['source', 'import', 'module', 'node', 'default'] },
    ssr: { resolve: { conditions: ['source', 'import', 'node', 'default'] } },
    test: {
      name,
      include: ['test/**/*.test.ts'],
      testTimeout,
      hookTimeout: 120_000,
    },
  });
}
