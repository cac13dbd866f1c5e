import type { CommandSpec } from '../command.js';

/**
 * Every CLI command, in the order `digest --help` lists them. To add one: write its work in
 * `./NAME.ts` as `export async function NAME(context: CommandContext): Promise<number>`, then add an
 * entry here declaring its arguments and options. The `import()` inside `action` keeps each
 * command's modules unloaded until that command runs.
 */
const CADENCE_CHOICES = ['weekly', 'daily', 'monthly'];

/** `send` and `render`: MJML compiled in a worker that imports mjml while the command loads (render/mjml-thread.ts). */
const startMjmlWorker = async () => {
  const mjml = (await import('../../render/mjml-thread.js')).startMjmlWorker();
  return { mjml, close: () => mjml.close() };
};

export const COMMANDS: CommandSpec[] = [
  {
    name: 'send',
    summary: 'collect, select, render and deliver the next edition (or resume an unfinished one)',
    configure: (c) => c.option('--dry-run', 'render and count recipients; send and record nothing').option('--cadence <cadence>', `which cadence's edition (${CADENCE_CHOICES.join(', ')}; must be enabled)`, 'weekly'),
    action: async (context) => (await import('./send.js')).send(context),
    early: startMjmlWorker,
  },
  {
    name: 'render',
    summary: 'write the next digest as HTML, text and .eml without sending or recording anything',
    configure: (c) =>
      c.option('--out <dir>', 'folder to write digest.html, digest.txt and digest.eml into', 'out').option('--subscriber <email>', "render as this reader (their name, topics and links)").option('--cadence <cadence>', `which cadence (${CADENCE_CHOICES.join(', ')})`, 'weekly'),
    action: async (context) => (await import('./render.js')).render(context),
    early: startMjmlWorker,
  },
  {
    name: 'preview',
    summary: 'serve, on 127.0.0.1, the digest `digest send` would send now, live-reloading on every change',
    configure: (c) => c.option('--port <port>', 'port to listen on (0: any free port)', '4000'),
    action: async (context) => (await import('./preview.js')).preview(context),
  },
  {
    name: 'check',
    summary: 'validate config, every post and every template; list all problems with file:line',
    action: async (context) => (await import('./check.js')).check(context),
  },
  {
    name: 'feeds',
    summary: 'list the configured feeds and their last fetch; pull (fetch and keep) or check (fetch, report, keep nothing)',
    subcommands: [
      { name: 'list', summary: 'the configured feeds and what the store holds of each', action: async (context) => (await import('./feeds.js')).feeds(context, 'list') },
      { name: 'pull', summary: 'fetch every feed and keep the result', action: async (context) => (await import('./feeds.js')).feeds(context, 'pull') },
      { name: 'check', summary: 'fetch every feed and report; nothing is recorded', action: async (context) => (await import('./feeds.js')).feeds(context, 'check') },
    ],
  },
  {
    name: 'bounces',
    summary: 'bounce and complaint events: list them, process an exported mbox/.eml, or run the bounce listener and mailbox reader',
    subcommands: [
      {
        name: 'list',
        summary: 'the latest bounce and complaint events',
        configure: (c) => c.option('--limit <n>', 'how many events (1 to 100000)', '50').option('--json', 'print JSON'),
        action: async (context) => (await import('./bounces.js')).bounces(context, 'list'),
      },
      {
        name: 'process',
        summary: 'read bounces and complaints from an mbox or .eml file exported by hand',
        configure: (c) => c.argument('<file>', 'the mbox or .eml file'),
        action: async (context) => (await import('./bounces.js')).bounces(context, 'process'),
      },
      {
        name: 'serve',
        summary: 'run the SMTP listener for VERP bounces and/or poll the bounce mailbox',
        configure: (c) => c.option('--port <port>', 'listener port (default BOUNCE_SMTP_PORT)').option('--host <address>', 'listener address (default BOUNCE_SMTP_HOST)'),
        action: async (context) => (await import('./bounces.js')).bounces(context, 'serve'),
      },
    ],
  },
  {
    name: 'subscribers',
    summary: 'manage the subscriber list',
    subcommands: [
      {
        name: 'add',
        summary: 'add a reader, or update one already on the list',
        configure: (c) => c.argument('<email>', "the reader's address").option('--name <name>', 'display name').option('--categories <topics>', 'comma-separated topics (default: every topic)').option('--cadence <cadence>', `${CADENCE_CHOICES.join(', ')} (must be enabled)`),
        action: async (context) => (await import('./subscribers.js')).add(context),
      },
      {
        name: 'import',
        summary: 'add or update readers from a CSV file (email,name,categories,cadence)',
        configure: (c) => c.argument('<file>', 'the CSV file'),
        action: async (context) => (await import('./subscribers.js')).importCsv(context),
      },
      {
        name: 'list',
        summary: 'print the readers, one a line',
        configure: (c) => c.option('--status <status>', 'only readers with this status').option('--topic <topic>', 'only readers of this topic'),
        action: async (context) => (await import('./subscribers.js')).list(context),
      },
      { name: 'export', summary: 'print the whole list as CSV', action: async (context) => (await import('./subscribers.js')).exportCsv(context) },
      { name: 'remove', summary: 'delete a reader and their history', configure: (c) => c.argument('<email>', "the reader's address"), action: async (context) => (await import('./subscribers.js')).remove(context) },
      { name: 'stats', summary: 'counts by status, cadence and topic', action: async (context) => (await import('./subscribers.js')).stats(context) },
    ],
  },
  {
    name: 'serve',
    summary: 'run the public web server: sign-up, preferences, one-click unsubscribe, the archive and /healthz',
    configure: (c) => c.option('--port <port>', 'port to listen on (default: PORT)').option('--host <address>', 'interface to listen on (default: every interface)'),
    action: async (context) => (await import('./serve.js')).serve(context),
  },
  {
    name: 'start',
    summary: 'run the scheduler (DIGEST_SCHEDULE, plus daily/monthly if set), a delivery worker (unless --no-worker) and the web server until SIGTERM/SIGINT',
    configure: (c) => c.option('--port <port>', 'port of the web server (default: PORT)').option('--no-worker', 'deliver nothing here: ticks only prepare editions for `digest worker` processes'),
    action: async (context) => (await import('./start.js')).start(context),
  },
  {
    name: 'schedule',
    summary: 'run only the scheduler until SIGTERM/SIGINT (no web server)',
    action: async (context) => (await import('./start.js')).schedule(context),
  },
  {
    name: 'worker',
    summary: 'deliver every open edition alongside other workers (DATABASE_URL shared); on SIGTERM hand unsent claims back and stop',
    action: async (context) => (await import('./worker.js')).worker(context),
  },
  {
    name: 'status',
    summary: 'last edition and its counts, next scheduled times, deferred/uncertain deliveries, live workers',
    configure: (c) => c.option('--json', 'print the same as JSON'),
    action: async (context) => (await import('./status.js')).status(context),
  },
  {
    name: 'backup',
    summary: 'write a consistent copy of the database, safe while digest is running',
    configure: (c) => c.requiredOption('--out <file>', 'the file to write (must not exist yet)'),
    action: async (context) => (await import('./backup.js')).backup(context),
  },
  {
    name: 'migrate',
    summary: 'apply the database migrations not yet applied (PostgreSQL under an advisory lock; SQLite on open), then exit',
    action: async (context) => (await import('./migrate.js')).migrate(context),
  },
];
