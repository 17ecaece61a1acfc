/** Plain data types of the app's own API (inspector, graph, import, profile, events), and the profile's trace tags. */
import type { ReembedJob } from './settings-schema';
import type {
  AnnLayerStatus,
  EmbedderStatus,
  EngineStatus,
  IsolateMemory,
  Layer,
  StoreName,
  WriteMode,
  WriteTrace,
} from './types';

export interface StoreRows {
  rows: number;
  ids: number;
  nodes?: number;
  edges?: number;
  /** vector.db: the IVF index of each layer that has one (the others are served by exact search). */
  ann?: AnnLayerStatus[];
}

export interface EngineStats {
  layers: { layer: string; kind: string; n: number }[];
  stores: Record<StoreName | 'core', StoreRows>;
  /** Bytes on disk per file (the database plus its WAL). */
  fileBytes: Record<StoreName | 'core', number>;
  queue: { queued: number; running: boolean; processed: number; lastError: { code: string; message: string } | null };
  embedder: EmbedderStatus;
  /** Each isolate's heap and caches (the engine's thread and every worker it started). */
  memory?: IsolateMemory[];
}

export interface GraphEntity {
  id: string;
  name: string;
  /** person, place, organisation, thing … as the extractor typed it. */
  entityKind: string;
  /** Relationships touching it. */
  degree: number;
}

export interface GraphRelationship {
  id: string;
  from: string;
  to: string;
  relation: string;
  text: string;
}

export interface GraphData {
  entities: GraphEntity[];
  relationships: GraphRelationship[];
  totalEntities: number;
  totalRelationships: number;
}

/** Every format an import reads, declared once: the importers, the input schema, the CLI and the Ingest view use it. */
export const IMPORT_FORMATS = [
  'chatgpt',
  'claude',
  'whatsapp',
  'telegram',
  'notes',
  'jsonl',
  'strata',
  'locomo',
  'messages',
  'text',
] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** How each format is named to a person. */
export const IMPORT_FORMAT_LABELS: Record<ImportFormat, string> = {
  chatgpt: 'ChatGPT export',
  claude: 'Claude export',
  whatsapp: 'WhatsApp chat',
  telegram: 'Telegram export',
  notes: 'Markdown notes',
  jsonl: 'JSON Lines of messages',
  strata: 'Strata export',
  locomo: 'LoCoMo JSON',
  messages: 'JSON array of messages',
  text: 'Plain text (Speaker: line)',
};

/** What an import would write, shown before anything is: counts, dates, speakers and duplicates to skip. */
export interface ImportPreview {
  name: string;
  format: ImportFormat;
  /** Sessions and messages in the input. */
  sessions: number;
  messages: number;
  /** Of those, what is not stored yet (the rest are duplicates, skipped). */
  newSessions: number;
  newMessages: number;
  duplicates: number;
  /** Epoch ms of the first and last message. */
  from: number | null;
  to: number | null;
  /** The speaker who is the person importing, from the format or inferred; null when unknown. */
  user: string | null;
  speakers: { speaker: string; messages: number }[];
  /** What was skipped and why (hidden messages, system lines, files that are not conversations). */
  notes: string[];
  sample: { title: string; messages: number; first: string }[];
  /** Time to write the new messages at the rate recent writes ran at; null until there is a write to go by. */
  estimateMs: number | null;
}

export interface LayerProgress {
  done: number;
  total: number;
}

export interface ImportJob {
  id: string;
  name: string;
  format: ImportFormat;
  state: 'running' | 'done' | 'cancelled' | 'failed';
  /** Sessions and messages to write (duplicates already stored are left out). */
  sessions: number;
  messages: number;
  /** Messages of the input already stored, skipped. */
  duplicates: number;
  user: string | null;
  /** Set once what the job wrote has been removed again. */
  removed?: boolean;
  /** m0: messages written; m1 and m2: sessions whose episodes / facts are built after their last write. */
  progress: Record<Layer, LayerProgress>;
  sessionIds: string[];
  error: { code: string; message: string } | null;
  startedAt: number;
  /** When the run stopped (for a cancelled job: once the batch in flight was written). */
  finishedAt: number | null;
}

/** Median and spread of one measure over the profile's rounds, in milliseconds. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface ProfileStats {
  totalMs: Spread;
  /** The journal's commit (core.db), the same work in both modes. */
  journalMs: Spread;
  /** The stores' fan-out: first store start to last store end, where the two modes differ. */
  fanOutMs: Spread;
}

export interface ProfileResult {
  rows: number;
  rounds: number;
  /** The round whose total is the median, per mode (for the side-by-side waterfall). */
  sequential: WriteTrace;
  parallel: WriteTrace;
  stats: Record<WriteMode, ProfileStats>;
  /** Median sequential totalMs / median parallel totalMs. */
  ratio: number;
  /** The same for the store fan-out alone. */
  fanOutRatio: number;
}

/** The kinds profile traces carry: synthetic writes, kept out of the timings' percentiles. */
export const PROFILE_TRACE_KIND: Record<WriteMode, string> = {
  sequential: 'profile.sequential',
  parallel: 'profile.parallel',
};

export function isProfileTrace(trace: Pick<WriteTrace, 'kind'>): boolean {
  return trace.kind === PROFILE_TRACE_KIND.sequential || trace.kind === PROFILE_TRACE_KIND.parallel;
}

export type StrataEvent =
  | { type: 'trace'; trace: WriteTrace }
  | { type: 'import'; job: ImportJob }
  | { type: 'status'; status: EngineStatus; queue: EngineStats['queue'] }
  | { type: 'reembed'; job: ReembedJob };
