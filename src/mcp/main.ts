/**
 * `npm run mcp -- [--data-dir D] [--http [--port P]] [--no-layers]`: the Strata MCP server as a process. Stdio by
 * default (stdout carries the protocol; logs go to stderr). A failure to start prints `{code, message, details}` as
 * JSON on stderr and exits 1.
 */
import { parseArgs } from 'node:util';
import { StrataError, toWireError } from '../shared/errors';
import { runMcp } from './run';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      http: { type: 'boolean' },
      port: { type: 'string' },
      'no-layers': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stderr.write(
      'Usage: npm run mcp -- [--data-dir D] [--http [--port P]] [--no-layers]\n' +
        '  stdio by default; --http serves Streamable HTTP on 127.0.0.1 (token: STRATA_MCP_TOKEN or printed)\n',
    );
    return;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535)) {
    throw new StrataError('INVALID_INPUT', `--port: expected 0 to 65535, got ${values.port}`, { field: '--port' });
  }
  const handle = await runMcp({
    ...(values['data-dir'] !== undefined && { dataDir: values['data-dir'] }),
    ...(values.http && { http: true }),
    ...(port !== undefined && { port }),
    ...(values['no-layers'] && { layers: false }),
  });
  const stop = (): void => {
    void handle.close();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await handle.closed;
  process.exit(0);
}

main().catch((err: unknown) => {
  // node:util's own argument errors (an unknown option) are bad input too.
  const code = (err as { code?: unknown } | null)?.code;
  const wire =
    typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')
      ? { code: 'INVALID_INPUT', message: (err as Error).message }
      : toWireError(err);
  process.stderr.write(`${JSON.stringify(wire)}\n`);
  process.exit(1);
});
