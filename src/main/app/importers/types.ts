/**
 * What every importer reads and returns: files (raw or out of an export's ZIP) in, sessions of validated messages
 * out, each message with a stable id taken from the export (or a hash where the format has none), so a second
 * import of the same export can tell what it already holds.
 */
import type { MessageInput, SessionInput } from '../../../shared/schema';

/** One file of the input, already decoded as UTF-8 text. */
export interface ImportFile {
  /** The name as the user gave it, or the entry's path inside the ZIP. */
  path: string;
  /** The text (for a file kept as bytes, decoded on first read: a streamed format never asks for it). */
  text: string;
  /** The file's bytes, kept for a format read one record at a time (a JSON array: ChatGPT's conversations). */
  bytes?: Uint8Array;
  /** The text parsed as JSON, once, by format detection (JSON formats only). */
  json?: unknown;
  /** Epoch ms the file was last changed, where known (notes take their date from it). */
  modifiedAt?: number;
}

export interface ParsedSession {
  session: SessionInput & { id: string; title: string };
  messages: (MessageInput & { id: string })[];
}

export interface ImporterOptions {
  /** Shown as the import's name; a session title where the format has none. */
  name: string;
  title?: string;
  /** LoCoMo only: just these conversations. */
  samples?: string[];
  /** The speaker who is the person importing (overrides what the format says or what is inferred). */
  user?: string;
  /** WhatsApp: dates read day first (true) or month first (false); left out, inferred per file. */
  dayFirst?: boolean;
}

export interface ImporterResult {
  sessions: ParsedSession[];
  /** The speaker who is the user, when the format says so or it could be inferred. */
  user: string | null;
  /** Plain remarks for the preview (what was skipped and why). */
  notes: string[];
}
