import { project } from '../../vitest.shared.js';

export default project('lsp', 60_000);
