/** Plain data types of the app's own API (inspector, graph, import, profile, events). No runtime code. */
import type { EmbedderStatus, EngineStatus, Layer, StoreName, WriteTrace } from './types';

export interface StoreRows {
  rows: number;
  ids: number;
  nodes?: number;
  edges?: number;
}

export interface EngineStats {
  layers: { layer: string; kind: string; n: number }[];
  stores: Record<StoreName | 'core', StoreRows>;
  /** Bytes on disk per file (the database plus its WAL). */
  fileBytes: Record<StoreName | 'core', number>;
  queue: { queued: number; running: boolean; processed: number; lastError: { code: string; message: string } | null };
  embedder: EmbedderStatus;
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

export type ImportFormat =
  | 'chatgpt'
  | 'claude'
  | 'whatsapp'
  | 'telegram'
  | 'notes'
  | 'jsonl'
  | 'strata'
  | 'locomo'
  | 'messages'
  | 'text';

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

export interface ProfileResult {
  rows: number;
  sequential: WriteTrace;
  parallel: WriteTrace;
  /** sequential totalMs / parallel totalMs. */
  ratio: number;
}

export type StrataEvent =
  | { type: 'trace'; trace: WriteTrace }
  | { type: 'import'; job: ImportJob }
  | { type: 'status'; status: EngineStatus; queue: EngineStats['queue'] };
