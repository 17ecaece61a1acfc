// Applies the chosen theme (Settings → Theme) before the first paint: loaded synchronously in <head>. The app keeps
// the choice here as well as in the settings file (src/renderer/src/features/settings/theme.ts).
(() => {
  try {
    const t = localStorage.getItem('strata.theme');
    if (t === 'light' || t === 'dark') document.documentElement.dataset.theme = t;
  } catch {
    // Storage off: the system's theme applies until the settings are read.
  }
})();
