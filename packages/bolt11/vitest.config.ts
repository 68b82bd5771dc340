import { project } from '../../vitest.shared.js';

// Property and fuzz suites sign and recover many invoices; on a shared, loaded 2-core machine one test
// can take tens of seconds, so allow 2 minutes per test (a guard, not an assertion).
export default project('bolt11', 120_000);
