/**
 * The settings file (`settings.json` in the data folder): read with its schema (a missing file is the defaults; a
 * bad one gives SETTINGS_INVALID naming the field, and the defaults, never a crash), written atomically with owner-
 * only permissions (it may hold an LLM API key, which is never logged nor sent to the renderer). Also: which
 * embedder and LLM endpoint a run opens the engine with (flags over the file over the environment), and the
 * "Test connection" request against an OpenAI-compatible endpoint.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StrataError, toWireError, type WireError } from '../../shared/errors';
import {
  type LlmTestInput,
  type LlmTestResult,
  SETTINGS_EMBEDDERS,
  type SettingsEmbedder,
  type SettingsFile,
  type SettingsPatch,
  settingsFileSchema,
} from '../../shared/settings-schema';
import type { EngineOptions } from '../engine/engine';

export const SETTINGS_FILE = 'settings.json';

export function defaultSettings(): SettingsFile {
  return settingsFileSchema.parse({});
}

/** Reads the file; a missing one is the defaults, a bad one the defaults plus the error saying what was wrong. */
export function loadSettings(dataDir: string): { settings: SettingsFile; problem: WireError | null } {
  const file = join(dataDir, SETTINGS_FILE);
  if (!existsSync(file)) return { settings: defaultSettings(), problem: null };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const problem = new StrataError('SETTINGS_INVALID', `${file}: not JSON (${(err as Error).message})`, { file });
    return { settings: defaultSettings(), problem: problem.toWire() };
  }
  const parsed = settingsFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || '(root)';
    const problem = new StrataError('SETTINGS_INVALID', `${file}: ${field}: ${issue?.message ?? 'invalid'}`, {
      file,
      field,
    });
    return { settings: defaultSettings(), problem: problem.toWire() };
  }
  return { settings: parsed.data, problem: null };
}

/** Merges a patch into the file (an unreadable file is replaced) and writes it atomically. Returns what was written. */
export function saveSettings(dataDir: string, patch: SettingsPatch): SettingsFile {
  const { settings } = loadSettings(dataDir);
  const next = settingsFileSchema.parse({
    ...settings,
    ...patch,
    llm: { ...settings.llm, ...patch.llm },
  });
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, SETTINGS_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
  try {
    chmodSync(file, 0o600);
  } catch {
    // Windows: no POSIX modes; the data folder is the user's own.
  }
  return next;
}

/**
 * The embedder a data folder was written with (its journal's `embedder` key, e.g. `hashing-512`), so a run opens
 * it without being told; null for a new folder.
 */
export function storedEmbedder(dataDir: string): SettingsEmbedder | null {
  const file = join(dataDir, 'core.db');
  if (!existsSync(file)) return null;
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare("SELECT value FROM meta WHERE key = 'embedder'").get() as { value: string } | undefined;
      return SETTINGS_EMBEDDERS.find((k) => row?.value.startsWith(k)) ?? null;
    } finally {
      db.close();
    }
  } catch {
    // The engine's own open names what is wrong with the file.
    return null;
  }
}

/** What `--embedder`, `--llm-url`, `--llm-model` and `--llm-api-key` give; each overrides the file for one run. */
export interface RunFlags {
  embedder?: string;
  llmUrl?: string;
  llmModel?: string;
  llmApiKey?: string;
}

/**
 * The engine options a run opens with: the embedder from the flag, else the folder's own, else the file's, else
 * the environment's (STRATA_EMBEDDER) or the built-in default; the LLM endpoint from the flags, else the file's if
 * it is switched on.
 */
export function runOptions(
  dataDir: string,
  settings: SettingsFile,
  flags: RunFlags = {},
  /** Re-embedding with the chosen embedder: the folder's own is what is being replaced, so it is not used. */
  reembed = false,
): Partial<EngineOptions> {
  if (flags.embedder !== undefined && !SETTINGS_EMBEDDERS.includes(flags.embedder as SettingsEmbedder)) {
    throw new StrataError(
      'INVALID_INPUT',
      `--embedder: expected one of ${SETTINGS_EMBEDDERS.join(', ')}, got "${flags.embedder}"`,
      { field: 'embedder' },
    );
  }
  const embedder =
    (flags.embedder as SettingsEmbedder | undefined) ?? (reembed ? null : storedEmbedder(dataDir)) ?? settings.embedder;
  const url = flags.llmUrl ?? (settings.llm.enabled ? settings.llm.url : '');
  const model = flags.llmModel ?? settings.llm.model;
  const apiKey = flags.llmApiKey ?? settings.llm.apiKey;
  if (flags.llmUrl !== undefined && !model) {
    throw new StrataError('INVALID_INPUT', '--llm-model: required with --llm-url', { field: 'llmModel' });
  }
  return {
    ...(embedder && { embedder }),
    ...(url && model && { llm: { url, model, ...(apiKey && { apiKey }) } }),
  };
}

const TEST_TIMEOUT_MS = 5_000;

function modelIds(body: unknown): string[] | null {
  if (body === null || typeof body !== 'object') return null;
  const data = (body as { data?: unknown }).data ?? (body as { models?: unknown }).models;
  if (!Array.isArray(data)) return null;
  const ids: string[] = [];
  for (const m of data) {
    const id =
      typeof m === 'string' ? m : ((m as { id?: unknown; name?: unknown })?.id ?? (m as { name?: unknown })?.name);
    if (typeof id !== 'string') return null;
    ids.push(id);
  }
  return ids;
}

/**
 * "Test connection": `GET <url>/models` with the key as a bearer token and a timeout. Answers the models it lists
 * (and whether the chosen one is among them), LLM_UNREACHABLE (no answer, a refused connection, the timeout, a
 * non-2xx status) or LLM_BAD_RESPONSE (an answer that is not an OpenAI-style model list). Never throws.
 */
export async function testLlm(input: LlmTestInput, doFetch: typeof fetch = fetch): Promise<LlmTestResult> {
  const started = performance.now();
  const took = () => Math.round(performance.now() - started);
  let base: URL;
  try {
    base = new URL(input.url);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    return { ok: false, code: 'INVALID_INPUT', message: `url: expected an http(s) address, got "${input.url}"`, ms: 0 };
  }
  const url = `${input.url.replace(/\/+$/, '')}/models`;
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), input.timeoutMs ?? TEST_TIMEOUT_MS);
  try {
    let res: Response;
    try {
      res = await doFetch(url, {
        headers: { Accept: 'application/json', ...(input.apiKey && { Authorization: `Bearer ${input.apiKey}` }) },
        signal: ctl.signal,
      });
    } catch (err) {
      const why = ctl.signal.aborted
        ? `no answer within ${input.timeoutMs ?? TEST_TIMEOUT_MS} ms`
        : toWireError(err).message;
      return { ok: false, code: 'LLM_UNREACHABLE', message: `${base.host}: ${why}`, ms: took() };
    }
    if (!res.ok) {
      const hint = res.status === 401 || res.status === 403 ? ' (check the API key)' : '';
      return { ok: false, code: 'LLM_UNREACHABLE', message: `${url} answered ${res.status}${hint}`, ms: took() };
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      return { ok: false, code: 'LLM_BAD_RESPONSE', message: `${url}: the answer is not JSON`, ms: took() };
    }
    const models = modelIds(body);
    if (!models) {
      return {
        ok: false,
        code: 'LLM_BAD_RESPONSE',
        message: `${url}: expected {"data": [{"id": …}]}, an OpenAI-style model list`,
        ms: took(),
      };
    }
    return { ok: true, models, modelFound: input.model ? models.includes(input.model) : null, ms: took() };
  } finally {
    clearTimeout(timer);
  }
}
