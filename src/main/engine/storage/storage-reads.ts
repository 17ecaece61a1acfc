/**
 * The read side of the storage manager: the shared reader worker (journal and stores, read-only), one more reader
 * per parallel search source, and the reads other code makes through the manager. The write side (journal, lanes,
 * traces, maintenance) is `StorageManager`, which extends this.
 */
import { StrataError, toWireError, type WireError } from '../../../shared/errors';
import type { IsolateMemory, Message, SkippedSource, StoreName } from '../../../shared/types';
import { type CallTiming, WorkerClient } from '../workers/client';
import type {
  Params,
  ReaderMethods,
  Result,
  SearchMethods,
  SessionRow,
  StoreCounts,
  StoreInit,
} from '../workers/protocol';

/** The store each search source reads (graph search also reads core.db's entities; hydration reads only core.db). */
const SOURCE_STORE: Partial<Record<keyof SearchMethods & string, StoreName>> = {
  vectorSearch: 'vector',
  keywordSearch: 'keyword',
  graphSearch: 'graph',
};

export class StorageReads {
  protected readonly reader: WorkerClient<'reader'>;
  private readonly searchers = new Map<string, { client: WorkerClient<'reader'>; opened: Promise<void> }>();
  protected closed = false;

  protected constructor(
    readonly dataDir: string,
    private readonly readerInit: StoreInit,
    private readonly entry: string,
  ) {
    this.reader = new WorkerClient('reader', { ...readerInit }, entry);
  }

  async storeIds(store: StoreName | 'core'): Promise<string[]> {
    this.assertOpen();
    return (await this.reader.call('storeIds', { store })).result;
  }

  async storeCounts(store: StoreName | 'core'): Promise<StoreCounts> {
    this.assertOpen();
    return (await this.reader.call('storeCounts', { store })).result;
  }

  async listSessions(): Promise<SessionRow[]> {
    this.assertOpen();
    return (await this.reader.call('listSessions', {})).result;
  }

  async listMessages(sessionId: string): Promise<Message[]> {
    this.assertOpen();
    return (await this.reader.call('listMessages', { sessionId })).result;
  }

  /**
   * One search source, on its own read connection so the sources scan in parallel: vectors and keywords each get a
   * reader worker of their own (started on the first query), the graph and hydration use the shared reader.
   */
  async search<K extends keyof SearchMethods & string>(
    method: K,
    params: Params<ReaderMethods, K>,
  ): Promise<{ result: Result<ReaderMethods, K>; timing: CallTiming }> {
    this.assertOpen();
    const store = SOURCE_STORE[method];
    // A store known to be bad is not read at all: the query goes on without it (see skippedSource).
    const bad = store ? this.storeFault(store) : null;
    if (bad) throw StrataError.fromWire(bad);
    let client = this.reader;
    if (method === 'vectorSearch' || method === 'keywordSearch') {
      let own = this.searchers.get(method);
      if (!own) {
        const c = new WorkerClient('reader', { ...this.readerInit }, this.entry);
        own = { client: c, opened: c.call('open', {}).then(() => undefined) };
        this.searchers.set(method, own);
      }
      await own.opened;
      client = own.client;
    }
    try {
      const { result, timing } = await client.call(method, params);
      return { result: result as Result<ReaderMethods, K>, timing };
    } catch (err) {
      if (store) this.storeFailed(store, toWireError(err));
      throw err;
    }
  }

  /**
   * Whether a search source's failure can be left out of a query (its store's file is bad, or being rebuilt, or
   * busy): the source it was, with the typed reason naming the file. A failure of the journal (core.db) is not:
   * the query fails.
   */
  skippedSource(source: StoreName, err: unknown): SkippedSource | null {
    const wire = toWireError(err);
    const file = (wire.details as { file?: unknown } | undefined)?.file;
    const skippable = ['STORE_CORRUPT', 'STORE_UNAVAILABLE', 'STORE_LOCKED', 'STORE_WRITE_FAILED'].includes(wire.code);
    if (!skippable || typeof file !== 'string' || !file.endsWith(`${source}.db`)) return null;
    return { source, code: wire.code, message: wire.message, file };
  }

  /** The store's file is known to be bad right now (the manager's lanes know); null when it can be read. */
  protected storeFault(_store: StoreName): WireError | null {
    return null;
  }

  /** A read of the store failed: the manager marks a bad file and starts its rebuild. */
  protected storeFailed(_store: StoreName, _error: WireError): void {}

  /**
   * A read a person is waiting for, on a reader worker of its own per lane: `now` for the app's pages, counts and
   * lookups, `suggest` for search as you type. The shared reader serves the background layers, whose reads of a
   * whole session (100,000 chunks with their vectors) would otherwise hold a page or a keystroke for seconds.
   */
  async readOwn<K extends keyof ReaderMethods & string>(
    lane: 'now' | 'suggest',
    method: K,
    params: Params<ReaderMethods, K>,
  ): Promise<Result<ReaderMethods, K>> {
    this.assertOpen();
    const key = `lane:${lane}`;
    let own = this.searchers.get(key);
    if (!own) {
      const c = new WorkerClient('reader', { ...this.readerInit }, this.entry);
      own = { client: c, opened: c.call('open', {}).then(() => undefined) };
      this.searchers.set(key, own);
    }
    await own.opened;
    return (await own.client.call(method, params)).result;
  }

  /** Starts the readers a person waits on, so the first page or keystroke does not pay a worker's start. */
  async warmReaders(): Promise<void> {
    await Promise.all([this.readOwn('now', 'open', {}), this.readOwn('suggest', 'open', {})]);
  }

  /** Any read of the journal and stores, on the reader worker. */
  async read<K extends keyof ReaderMethods & string>(
    method: K,
    params: Params<ReaderMethods, K>,
  ): Promise<Result<ReaderMethods, K>> {
    this.assertOpen();
    return (await this.reader.call(method, params)).result;
  }

  /** The readers' own memory reports: the shared reader and every search or lane reader started so far. */
  protected readerMemory(): Promise<IsolateMemory>[] {
    return [
      this.reader.memory('reader'),
      ...[...this.searchers].map(([key, s]) => s.opened.then(() => s.client.memory(`reader:${key}`))),
    ];
  }

  protected assertOpen(): void {
    if (this.closed) throw new StrataError('ENGINE_CLOSED', `the engine for ${this.dataDir} is closed`);
  }

  protected async closeReaders(): Promise<void> {
    await Promise.allSettled([this.reader.close(), ...[...this.searchers.values()].map((s) => s.client.close())]);
  }
}
