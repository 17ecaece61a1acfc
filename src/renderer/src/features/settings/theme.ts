/**
 * The theme choice, applied through public/theme.js (`window.strataTheme`), the one place that resolves "system" to
 * light or dark and sets `data-theme` on <html>, before the first paint and whenever the system switches. The settings
 * file in the data folder is the record, and wins when it and the page's copy differ (another window, the CLI).
 */
import type { Theme } from '../../../../shared/settings-schema';

declare global {
  interface Window {
    strataTheme?: { apply(theme: Theme): void };
  }
}

export function applyTheme(theme: Theme): void {
  window.strataTheme?.apply(theme);
}
