// The one place the theme is resolved: the choice (Settings → Theme: system, light or dark) becomes `data-theme` on
// <html>, always "light" or "dark", so styles.css declares each set of colour tokens once. "system" follows
// prefers-color-scheme, also when the system switches while the app is open. Loaded synchronously in <head>, so the
// first paint has it; the choice is kept in localStorage as well as in the settings file
// (src/renderer/src/features/settings/theme.ts calls `window.strataTheme.apply`).
(() => {
  const KEY = 'strata.theme';
  const root = document.documentElement;
  const media = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  let choice = 'system';
  try {
    const t = localStorage.getItem(KEY);
    if (t === 'light' || t === 'dark') choice = t;
  } catch {
    // Storage off: the system's theme applies until the settings are read.
  }
  const resolve = () => {
    root.dataset.themeChoice = choice;
    root.dataset.theme = choice === 'system' ? (media?.matches ? 'dark' : 'light') : choice;
  };
  resolve();
  media?.addEventListener?.('change', () => {
    if (choice === 'system') resolve();
  });
  window.strataTheme = {
    apply(next) {
      choice = next === 'light' || next === 'dark' ? next : 'system';
      try {
        if (choice === 'system') localStorage.removeItem(KEY);
        else localStorage.setItem(KEY, choice);
      } catch {
        // Storage off (private window): the theme still applies for this page.
      }
      resolve();
    },
  };
})();
