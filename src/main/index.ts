/**
 * Electron lifecycle only: one sandboxed window that cannot be navigated away from the app nor open windows
 * (external links go to the system browser), a single-instance lock, the engine under the user-data folder (on
 * the Electron-ABI build of better-sqlite3), IPC registration for the app's page only, engine events pushed to the
 * window, and a shutdown that stops the background layers (they resume on the next start) and closes the workers.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, session, shell } from 'electron';
import { STRATA_EVENT_CHANNEL } from '../shared/api';
import { StrataApp } from './app/app';
import { notReady, registerIpc } from './ipc';
import { type AppPage, isAppUrl, isExternalLink } from './navigation';

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'";

// Electron needs better-sqlite3 built for its own ABI; scripts/build-electron-native.mjs puts it here, apart from
// the Node build in node_modules that the tests use. The store workers read the path from the environment.
const electronBinding = join(app.getAppPath(), 'out', 'native', 'electron', 'better_sqlite3.node');
if (!process.env.STRATA_SQLITE_BINDING && existsSync(electronBinding)) {
  process.env.STRATA_SQLITE_BINDING = electronBinding;
}

let strata: StrataApp | null = null;
// STRATA_DATA_DIR points a run elsewhere (the Electron end-to-end tests give each test a fresh folder).
const ready = StrataApp.open({
  dataDir: process.env.STRATA_DATA_DIR || join(app.getPath('userData'), 'data'),
  // Settings → "Open in file manager": answers '' when it opened, else why not.
  openPath: (path) => shell.openPath(path),
});
ready.then(
  (s) => {
    strata = s;
    s.subscribe((event) => {
      for (const win of BrowserWindow.getAllWindows()) {
        if (!win.isDestroyed()) win.webContents.send(STRATA_EVENT_CHANNEL, event);
      }
    });
  },
  (err: unknown) => console.error('[strata] engine failed to open:', err),
);

const rendererFile = join(import.meta.dirname, '../renderer/index.html');
const page: AppPage = { url: process.env.ELECTRON_RENDERER_URL || pathToFileURL(rendererFile).href };

function createWindow(): void {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    title: 'Strata',
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    },
  });
  // The window only ever shows the app: a link or a script cannot take it (and the API) to another page.
  win.webContents.on('will-navigate', (event, url) => {
    if (isAppUrl(url, page)) return;
    event.preventDefault();
    if (isExternalLink(url)) void shell.openExternal(url);
  });
  win.webContents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url, page)) event.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (isExternalLink(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL);
  else void win.loadFile(rendererFile);
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    const [win] = BrowserWindow.getAllWindows();
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  registerIpc(async () => {
    try {
      return (await ready).api;
    } catch (err) {
      throw notReady(err);
    }
  }, page);
  app.on('web-contents-created', (_event, contents) => {
    // No webview, and no window the app did not create, may ever get the preload.
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
  void app.whenReady().then(() => {
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
    });
    createWindow();
  });
  app.on('window-all-closed', () => app.quit());
  let closing = false;
  app.on('before-quit', (event) => {
    if (closing || !strata) return;
    event.preventDefault();
    closing = true;
    const open = strata;
    strata = null;
    // Flush (M1 and M2 finish building), then close the workers, then really quit.
    void open.close().finally(() => app.quit());
  });
}
