/**
 * `runMcp(options)`: opens the engine on a data directory (the app's by default) and serves MCP over stdio (what
 * desktop assistants launch) or Streamable HTTP on 127.0.0.1. The `npm run mcp` entry (main.ts) and the `strata mcp`
 * command both call this. Everything human-readable goes to the log (stderr): on stdio, stdout is the protocol.
 */
import { resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { defaultDataDir } from '../main/app/data-dir';
import type { EmbedderKind } from '../main/engine/embed/embedder';
import { Engine } from '../main/engine/engine';
import { StrataError } from '../shared/errors';
import { startHttp } from './http';
import { createMcpServer } from './server';

export interface McpOptions {
  /** Default: STRATA_DATA_DIR, else the desktop app's own data folder (defaultDataDir()). */
  dataDir?: string;
  /** Serve Streamable HTTP on 127.0.0.1 instead of stdio. */
  http?: boolean;
  /** HTTP port (0, the default, picks a free one). */
  port?: number;
  /** HTTP bearer token (default STRATA_MCP_TOKEN, else a random one, logged at start). */
  token?: string;
  /** Default: STRATA_EMBEDDER, else the engine's default (static), as the app. */
  embedder?: EmbedderKind;
  /** Build episodes and facts in the background (default true). */
  layers?: boolean;
  stdin?: Readable;
  stdout?: Writable;
  log?: (line: string) => void;
}

export interface McpHandle {
  dataDir: string;
  /** HTTP only. */
  url?: string;
  token?: string;
  /** Resolves once the server has stopped and the engine is closed (stdin ended, or close()). */
  closed: Promise<void>;
  close(): Promise<void>;
}

async function openEngine(opts: McpOptions, dataDir: string): Promise<Engine> {
  try {
    return await Engine.open({
      dataDir,
      ...(opts.embedder && { embedder: opts.embedder }),
      ...(opts.layers === false && { layers: false }),
    });
  } catch (err) {
    if (err instanceof StrataError && err.code === 'STORE_LOCKED') {
      const pid = err.details?.pid;
      throw new StrataError(
        'STORE_LOCKED',
        `${dataDir} is open in another Strata process${pid ? ` (pid ${String(pid)})` : ''}, most likely the app: ` +
          'close it and start the MCP server again, or give --data-dir another folder. (Serving through the running ' +
          'app is not supported yet.)',
        { ...err.details, dataDir, holder: pid ?? null },
      );
    }
    throw err;
  }
}

export async function runMcp(opts: McpOptions = {}): Promise<McpHandle> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dataDir = resolve(opts.dataDir ?? defaultDataDir());
  const engine = await openEngine(opts, dataDir);
  let stopped: Promise<void> | null = null;
  let onStopped: () => void = () => undefined;
  const closed = new Promise<void>((r) => {
    onStopped = r;
  });
  let stopServer: () => Promise<void> = async () => undefined;
  const close = (): Promise<void> => {
    stopped ??= (async () => {
      // Closing the server closes its transport, whose onclose calls close() again: it must find `stopped` set.
      await null;
      try {
        await stopServer().catch(() => undefined);
      } finally {
        await engine.close().catch(() => undefined);
        onStopped();
      }
    })();
    return stopped;
  };

  try {
    if (opts.http) {
      const http = await startHttp({
        engine,
        ...(opts.port !== undefined && { port: opts.port }),
        ...((opts.token ?? process.env.STRATA_MCP_TOKEN) && { token: opts.token ?? process.env.STRATA_MCP_TOKEN }),
      });
      stopServer = () => http.close();
      log(`Strata MCP (Streamable HTTP) on ${http.url}, data in ${dataDir}`);
      log(`Authorization: Bearer ${http.token}`);
      return { dataDir, url: http.url, token: http.token, closed, close };
    }
    const stdin = opts.stdin ?? process.stdin;
    const transport = new StdioServerTransport(stdin, opts.stdout ?? process.stdout);
    const server = createMcpServer(engine);
    stopServer = () => server.close();
    // The client closing its end of the pipe is how a desktop assistant says goodbye.
    stdin.once('end', () => void close());
    transport.onclose = () => void close();
    await server.connect(transport);
    log(`Strata MCP (stdio), data in ${dataDir}`);
    return { dataDir, closed, close };
  } catch (err) {
    await close();
    throw err;
  }
}
