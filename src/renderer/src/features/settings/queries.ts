/** The settings read and its changes; every change answers the new view, which replaces the cached one. */
import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import type { SettingsPatch, SettingsView } from '../../../../shared/settings-schema';
import { api, downloadToken } from '../../lib/api';
import { applyTheme } from './theme';

export const settingsQueries = {
  all: ['settings'] as const,
  view: () => queryOptions({ queryKey: [...settingsQueries.all, 'view'] as const, queryFn: () => api.settings() }),
};

export function useSaveSettings() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (patch: SettingsPatch) => api.saveSettings(patch),
    onSuccess: (view: SettingsView) => qc.setQueryData(settingsQueries.view().queryKey, view),
  });
}

/** Browser mode: fetches a file from the bridge with the token header and hands it to the browser as a download. */
export async function downloadFile(download: string): Promise<void> {
  const token = downloadToken();
  const res = await fetch(`/api/download?file=${encodeURIComponent(download)}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!res.ok) throw new Error(`download answered ${res.status}`);
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = download.split('/').pop() ?? 'strata-download';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Applies the settings file's theme once it is read (the pre-paint one came from localStorage). */
export function useThemeFromSettings(): void {
  const view = useQuery({ ...settingsQueries.view(), retry: false, staleTime: 60_000 });
  const theme = view.data?.settings.theme;
  useEffect(() => {
    if (theme) applyTheme(theme);
  }, [theme]);
}
