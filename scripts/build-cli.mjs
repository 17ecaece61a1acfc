// Bundles the command line (src/cli/main.ts) and the MCP server's entry (src/mcp/main.ts) to out/cli, so the
// `strata` launcher and `npm run mcp` start with plain Node instead of transpiling the engine through tsx on every
// start (about half of a command's start-up CPU). src/cli/launch.mjs runs a bundle only while it is newer than every
// source file, so an edited tree still runs its own code. Native packages and the lazily loaded NLP stay external.
import { bundleForNode } from './bundle.mjs';

const started = performance.now();
await bundleForNode({ main: 'src/cli/main.ts', mcp: 'src/mcp/main.ts' }, 'out/cli', { packages: 'external' });
console.log(`command line built in ${(performance.now() - started).toFixed(0)} ms → out/cli`);
