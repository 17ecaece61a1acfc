/** True when ROOT/out/cli/NAME.mjs exists and no source it could hold was changed after it was built. */
export function bundleIsFresh(name: string, root?: string): boolean;
/** Imports entry NAME (`main` or `mcp`): its fresh bundle, or its TypeScript through tsx. */
export function load(name: string): Promise<Record<string, unknown>>;
