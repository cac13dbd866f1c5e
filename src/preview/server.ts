import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { UsageError } from '../errors.js';
import { eventHub } from './events.js';
import { previewRoutes } from './routes.js';
import { sessionToken } from './security.js';
import { watchSources, type WatchTargets } from './watcher.js';

/**
 * `digest preview`: a local web page showing what `digest send` would send right now, rebuilt
 * whenever a post, a template or `.env` changes. Listens on 127.0.0.1 only.
 */
export interface PreviewServerOptions {
  /** Called per request and per change, so `.env` edits take effect without a restart. */
  loadConfig: () => Config;
  /** The `.env` file to watch (DOTENV_FILE or ./.env). */
  envFile: string;
  /** Wanted port; when taken, the next free one is used. 0 picks any free port. */
  port: number;
  logger?: Logger;
}

export interface PreviewServer {
  url: string;
  port: number;
  /** The per-session token state-changing requests must carry. */
  token: string;
  /** Changes seen by the watcher so far. */
  changes(): number;
  close(): Promise<void>;
}

export const HOST = '127.0.0.1';
const PORT_ATTEMPTS = 50;

export async function startPreviewServer(options: PreviewServerOptions): Promise<PreviewServer> {
  const logger = options.logger ?? silentLogger;
  const token = sessionToken();
  const events = eventHub();
  let port = 0;
  const app = previewRoutes({ loadConfig: options.loadConfig, token, port: () => port, events });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  port = await listenFrom(server, options.port);
  let changes = 0;
  const watcher = watchSources(targetsOf(options.loadConfig(), options.envFile), (files) => {
    changes += 1;
    try {
      watcher.retarget(targetsOf(options.loadConfig(), options.envFile));
    } catch {
      // A broken .env: keep watching the old folders; the page shows the configuration error.
    }
    logger.info('preview.changed', { files });
    events.broadcast('change', String(changes));
  });
  return {
    url: `http://${HOST}:${port}/`,
    port,
    token,
    changes: () => changes,
    async close() {
      watcher.close();
      events.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function targetsOf(config: Config, envFile: string): WatchTargets {
  return { postsDir: config.postsDir, templatesDir: config.templatesDir, envFile, feedsFile: config.feedsFile };
}

/** Listens on `wanted`, or the next free port after it. */
async function listenFrom(server: Server, wanted: number): Promise<number> {
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt += 1) {
    const port = wanted === 0 ? 0 : wanted + attempt;
    if (port > 65535) break;
    const outcome = await new Promise<number | 'busy'>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        server.off('listening', onListening);
        if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve('busy');
        else reject(error);
      };
      const onListening = () => {
        server.off('error', onError);
        resolve((server.address() as { port: number }).port);
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(port, HOST);
    });
    if (outcome !== 'busy') return outcome;
  }
  throw new UsageError('PORT_BUSY', `no free port from ${wanted} to ${wanted + PORT_ATTEMPTS - 1} on ${HOST}: pass another with --port`);
}
