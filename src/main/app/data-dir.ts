/**
 * Where the CLI and the MCP server find the memory when `--data-dir` is left out: STRATA_DATA_DIR, else the folder the desktop app
 * uses (Electron's userData for an app named "strata", then `data`), so the CLI, the MCP server and the app share one memory.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.STRATA_DATA_DIR) return env.STRATA_DATA_DIR;
  const home = homedir();
  const appData =
    platform === 'darwin'
      ? join(home, 'Library', 'Application Support')
      : platform === 'win32'
        ? (env.APPDATA ?? join(home, 'AppData', 'Roaming'))
        : (env.XDG_CONFIG_HOME ?? join(home, '.config'));
  return join(appData, 'strata', 'data');
}
