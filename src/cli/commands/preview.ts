import { dotEnvFile } from '../../config.js';
import { createLogger } from '../../logger.js';
import { previewApp } from '../../preview/model.js';
import { startPreviewServer } from '../../preview/server.js';
import { portOption, untilStopSignal, type CommandContext } from '../command.js';

const DEFAULT_PREVIEW_PORT = 4000;

export async function preview({ options, out, loadConfig }: CommandContext): Promise<number> {
  const port = portOption(options.port, DEFAULT_PREVIEW_PORT);
  const config = loadConfig();
  const past = await pastEditions(config);
  const server = await startPreviewServer({ loadConfig, envFile: dotEnvFile(), port, logger: createLogger({ level: config.logLevel }) });
  if (port !== 0 && server.port !== port) out(`Port ${port} is taken; using ${server.port}.`);
  out(`Preview of the next digest: ${server.url}`);
  out(past.length ? `Past editions (newest first; all at ${server.url}editions):` : 'No edition has been sent yet.');
  for (const line of past) out(`  ${line}`);
  out('Watching posts, templates and .env; press Ctrl-C to stop.');
  await untilStopSignal();
  await server.close();
  out('Stopped.');
  return 0;
}

const LISTED = 10;

async function pastEditions(config: Parameters<typeof previewApp>[0]): Promise<string[]> {
  const app = await previewApp(config);
  try {
    return (await app.store.listEditions(LISTED)).map((e) => `#${e.number} ${e.cadence} ${e.createdAt.toISOString().slice(0, 10)}  ${e.subject}`);
  } finally {
    await app.close();
  }
}
