import { project } from '../../vitest.shared.js';

// Property suites do a lot of elliptic-curve or hashing work; on a shared, loaded 2-core machine a
// single property can take tens of seconds, so allow 2 minutes per test (a guard, not an assertion).
export default project('adaptor', 120_000);
