/**
 * The theme: `system` follows prefers-color-scheme, `light`/`dark` set `data-theme` on <html> (styles.css keys its
 * colour tokens on it). Mirrored in localStorage so public/theme.js applies it before the first paint; the settings
 * file in the data folder is the record, and wins when the two differ (another window, the CLI).
 */
import type { Theme } from '../../../../shared/settings-schema';

const KEY = 'strata.theme';

export function applyTheme(theme: Theme): void {
  const root = document.documentElement;
  if (theme === 'system') delete root.dataset.theme;
  else root.dataset.theme = theme;
  try {
    if (theme === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, theme);
  } catch {
    // Storage off (private window): the theme still applies for this page.
  }
}
