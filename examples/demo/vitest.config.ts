import { project } from '../../vitest.shared.js';

export default project('example-demo', 120_000);
