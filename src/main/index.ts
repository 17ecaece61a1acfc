/**
 * Electron lifecycle only: one sandboxed window, a single-instance lock, the
 * engine under the user-data folder, IPC registration, and a clean shutdown.
 */
import { join } from 'node:path';
import { app, BrowserWindow, session } from 'electron';
import { engineApi } from './engine/api';
import { Engine } from './engine/engine';
import { notReady, registerIpc } from './ipc';

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'";

let engine: Engine | null = null;
const engineReady = (async () => Engine.open({ dataDir: join(app.getPath('userData'), 'data') }))();
engineReady.then(
  (e) => {
    engine = e;
  },
  (err: unknown) => console.error('[strata] engine failed to open:', err),
);

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
  if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL);
  else void win.loadFile(join(import.meta.dirname, '../renderer/index.html'));
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
      return engineApi(await engineReady);
    } catch (err) {
      throw notReady(err);
    }
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
    if (closing || !engine) return;
    event.preventDefault();
    closing = true;
    const open = engine;
    engine = null;
    void open.close().finally(() => app.quit());
  });
}
