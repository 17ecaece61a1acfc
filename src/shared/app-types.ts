/** Plain data types of the app's own API (inspector, graph, import, profile, events). No runtime code. */
import type { AnnLayerStatus, EmbedderStatus, EngineStatus, Layer, StoreName, WriteTrace } from './types';

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

export type ImportFormat = 'locomo' | 'messages' | 'text';

export interface LayerProgress {
  done: number;
  total: number;
}

export interface ImportJob {
  id: string;
  name: string;
  format: ImportFormat;
  state: 'running' | 'done' | 'cancelled' | 'failed';
  sessions: number;
  messages: number;
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
