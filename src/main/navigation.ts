/**
 * Which addresses belong to the app's own window: the rule behind the navigation guard, the new-window handler
 * and the IPC sender check. Pure (no Electron import), so it is tested without Electron.
 */

/** The app's page: the dev server's origin (`ELECTRON_RENDERER_URL`) or the built `index.html` file. */
export interface AppPage {
  url: string;
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/**
 * True when `url` is the app's own page: the same origin as the dev server, or exactly the built index.html
 * (any query or fragment). Everything else (another file, another site, `javascript:`, `data:`) is foreign.
 */
export function isAppUrl(url: string | undefined | null, app: AppPage): boolean {
  if (!url) return false;
  const u = parse(url);
  const a = parse(app.url);
  if (!u || !a) return false;
  if (a.protocol === 'file:') return u.protocol === 'file:' && u.pathname === a.pathname && u.host === a.host;
  if (a.protocol !== 'http:' && a.protocol !== 'https:') return false;
  return u.origin === a.origin;
}

/** Links the window may hand to the system browser (`shell.openExternal`); anything else is dropped. */
export function isExternalLink(url: string): boolean {
  const u = parse(url);
  return u !== null && (u.protocol === 'https:' || u.protocol === 'http:' || u.protocol === 'mailto:');
}
