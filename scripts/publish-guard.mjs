#!/usr/bin/env node
// prepublishOnly of every package: only pnpm replaces `workspace:^` ranges and applies
// publishConfig.exports (no `source` condition) when it packs. Release with `pnpm release`.
const agent = process.env.npm_config_user_agent ?? '';
if (!agent.startsWith('pnpm/')) {
  console.error(
    `publish with pnpm (\`pnpm release\` at the repository root), not ${agent.split(' ')[0] || 'this tool'}`,
  );
  process.exit(1);
}
