/**
 * The app's settings as one typed file (`settings.json` in the data folder) and what the Settings view reads and
 * sends: the file's schema, the view of it the renderer gets (the API key never leaves the main side, only whether
 * one is set), and the inputs of the settings methods (save, test the LLM endpoint, export, backup, re-embed).
 */
import { z } from 'zod';
import type { WireError } from './errors';

export const THEMES = ['system', 'light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];
export const SETTINGS_EMBEDDERS = ['static', 'use-lite', 'hashing'] as const;
export type SettingsEmbedder = (typeof SETTINGS_EMBEDDERS)[number];

const folder = z.string().min(1).max(4096);

export const llmSettingsSchema = z.strictObject({
  /** Off by default: extraction uses the rules unless this is on and a URL and model are set. */
  enabled: z.boolean().default(false),
  /** Base URL up to the API version, e.g. `http://127.0.0.1:11434/v1`. */
  url: z.string().max(2048).default(''),
  model: z.string().max(256).default(''),
  apiKey: z.string().max(4096).default(''),
});

export const settingsFileSchema = z.strictObject({
  version: z.literal(1).default(1),
  /** The embedder a new data folder is written with (an existing folder keeps the one it was written with). */
  embedder: z.enum(SETTINGS_EMBEDDERS).optional(),
  llm: llmSettingsSchema.default({ enabled: false, url: '', model: '', apiKey: '' }),
  theme: z.enum(THEMES).default('system'),
  /** Where Export and Backup write when no folder is given (default: `exports/` and `backups/` in the data folder). */
  exportDir: folder.optional(),
  backupDir: folder.optional(),
});
export type SettingsFile = z.output<typeof settingsFileSchema>;

/** What `saveSettings` takes: any part of the file; `llm.apiKey: ''` clears the key, leaving it out keeps it. */
export const settingsPatchSchema = z.strictObject({
  embedder: z.enum(SETTINGS_EMBEDDERS).optional(),
  llm: z
    .strictObject({
      enabled: z.boolean().optional(),
      url: z.string().max(2048).optional(),
      model: z.string().max(256).optional(),
      apiKey: z.string().max(4096).optional(),
    })
    .optional(),
  theme: z.enum(THEMES).optional(),
  exportDir: folder.optional(),
  backupDir: folder.optional(),
});
export type SettingsPatch = z.input<typeof settingsPatchSchema>;

/** Test an endpoint as typed in the form (not yet saved); a left-out key uses the saved one. */
export const llmTestInputSchema = z.strictObject({
  url: z.string().min(1).max(2048),
  model: z.string().max(256).optional(),
  apiKey: z.string().max(4096).optional(),
  /** Default 5000. */
  timeoutMs: z.number().int().min(100).max(60_000).optional(),
});
export type LlmTestInput = z.input<typeof llmTestInputSchema>;

export type LlmTestResult =
  | { ok: true; models: string[]; modelFound: boolean | null; ms: number }
  | { ok: false; code: 'LLM_UNREACHABLE' | 'LLM_BAD_RESPONSE' | 'INVALID_INPUT'; message: string; ms: number };

export const folderInputSchema = z.strictObject({ dir: folder.optional() });

export const reembedInputSchema = z.strictObject({ to: z.enum(SETTINGS_EMBEDDERS) });

export interface WrittenFile {
  path: string;
  /** Relative to the data folder when inside it (what the browser-mode download asks for); null otherwise. */
  download: string | null;
  bytes: number;
}

export interface ReembedJob {
  from: string;
  to: SettingsEmbedder;
  state: 'running' | 'cancelling' | 'done' | 'cancelled' | 'failed';
  done: number;
  total: number;
  startedAt: number;
  finishedAt: number | null;
  error: { code: string; message: string } | null;
}

export interface ReembedPlan {
  from: string;
  to: SettingsEmbedder;
  vectors: number;
  /** At the rate this machine embedded at so far (or a measured sample); null when nothing could be measured. */
  estimateMs: number | null;
}

/** What the Settings view shows. */
export interface SettingsView {
  dataDir: string;
  file: string;
  /** The file as read, with the API key replaced by whether one is set. */
  settings: Omit<SettingsFile, 'llm'> & { llm: Omit<SettingsFile['llm'], 'apiKey'> & { apiKeySet: boolean } };
  /** A bad settings file: defaults are in use and this says what was wrong with it. */
  problem: WireError | null;
  embedder: { id: string; kind: string; dim: number; vectors: number };
  embedders: readonly SettingsEmbedder[];
  /** Whether "Open in file manager" can open it here (the desktop app), or only show it (browser mode). */
  canOpenFolder: boolean;
  reembed: ReembedJob | null;
}
