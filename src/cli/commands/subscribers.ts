import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createApp } from '../../app.js';
import { UsageError } from '../../errors.js';
import { checkAddress } from '../../mail/address.js';
import { SUBSCRIBER_STATUSES as STATUSES, type SubscriberStatus } from '../../store/store.js';
import { parseSubscriberCsv, splitCategories, subscribersToCsv } from '../../subscribers/csv.js';
import { changedRows, requireScheduledCadence, unknownTopicsWarning, unscheduledCadence } from '../../subscribers/choices.js';
import { subscriberStats } from '../../subscribers/stats.js';
import { plainLine } from '../../text.js';
import type { Command, CommandContext } from '../command.js';
import { parseCadence } from './send.js';

type Action = (context: CommandContext, app: Awaited<ReturnType<typeof createApp>>, args: string[]) => Promise<number>;

const ACTIONS: Record<string, Action> = {
  async add({ out }, app, args) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { name: { type: 'string' }, categories: { type: 'string' }, cadence: { type: 'string' } } });
    const address = addressArgument(positionals[0], 'add EMAIL [--name N] [--categories a,b] [--cadence weekly]');
    const cadence = values.cadence === undefined ? undefined : parseCadence(values.cadence);
    requireScheduledCadence(app.config, cadence);
    const row = {
      email: address,
      status: 'active' as const,
      ...(values.name === undefined ? {} : { name: plainLine(values.name) }),
      ...(values.categories === undefined ? {} : { categories: splitCategories(values.categories) }),
      ...(cadence === undefined ? {} : { cadence }),
    };
    const { added } = await app.store.upsertSubscribers([row], app.now());
    out(`${added ? 'Added' : 'Updated'} ${address}.`);
    const warning = await unknownTopicsWarning(app.config, row.categories ?? []);
    if (warning) out(warning);
    return 0;
  },
  async import({ out }, app, args) {
    const file = args[0];
    if (!file) throw new UsageError('USAGE', 'Name the CSV file: digest subscribers import FILE.csv');
    const { rows, invalid } = parseSubscriberCsv(await readCsv(file), { cadenceProblem: (cadence) => unscheduledCadence(app.config, cadence) });
    for (const bad of invalid) out(`${file}:${bad.line}: ${bad.reason}`);
    const { changed, unchanged } = await changedRows(app.store, rows);
    const { added, updated } = await app.store.upsertSubscribers(changed, app.now());
    out(`Imported ${rows.length} rows from ${file}: ${added} added, ${updated} updated, ${unchanged ? `${unchanged} unchanged, ` : ''}${invalid.length} rejected.`);
    const warning = await unknownTopicsWarning(app.config, rows.flatMap((row) => row.categories ?? []));
    if (warning) out(warning);
    return invalid.length > 0 ? 1 : 0;
  },
  async list({ out }, app, args) {
    const { values } = parseArgs({ args, options: { status: { type: 'string' }, topic: { type: 'string' } } });
    let count = 0;
    for await (const s of app.store.listSubscribers({ ...(values.status ? { status: parseStatus(values.status) } : {}), ...(values.topic ? { category: values.topic } : {}) })) {
      const stopped = s.excludedCategories.length ? ` except ${s.excludedCategories.join(';')}` : '';
      out(`${s.email}\t${s.name}\t${s.status}\t${s.cadence}\t${s.categories.join(';') || '(all topics)'}${stopped}`);
      count += 1;
    }
    out(`${count} subscriber${count === 1 ? '' : 's'}`);
    return 0;
  },
  async export({ out }, app) {
    const all = [];
    for await (const s of app.store.listSubscribers()) all.push(s);
    out(subscribersToCsv(all).trimEnd());
    return 0;
  },
  async stats({ out }, app) {
    const stats = await subscriberStats(app.store);
    out(`Subscribers: ${stats.total}`);
    out(`  by status: ${Object.entries(stats.byStatus).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    out(`  active by cadence: ${Object.entries(stats.byCadence).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    out(`  active by topic: ${stats.byTopic.map(([k, v]) => `${k} ${v}`).join(', ') || '(none chose topics)'}; every topic: ${stats.allTopics}`);
    return 0;
  },
  async remove({ out }, app, args) {
    const address = addressArgument(args[0], 'remove EMAIL');
    const removed = await app.store.removeSubscriber(address);
    out(removed ? `Removed ${address}.` : `${address} is not on the list.`);
    return removed ? 0 : 1;
  },
};

/** The CSV file's text; a missing file or a folder is a usage problem, named with its path. */
async function readCsv(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError('CSV_MISSING', `${file} does not exist: check the path of the CSV file to import`);
    if (code === 'EISDIR') throw new UsageError('CSV_MISSING', `${file} is a folder: name the CSV file inside it, e.g. ${file.replace(/\/$/, '')}/subscribers.csv`);
    throw new UsageError('CSV_UNREADABLE', `${file} cannot be read (${code ?? (error as Error).message}): check the file's permissions`);
  }
}

/** The EMAIL argument, normalised by the one address rule. */
function addressArgument(value: string | undefined, usage: string): string {
  if (value === undefined) throw new UsageError('USAGE', `Name the subscriber's address. Usage: digest subscribers ${usage}`);
  const address = checkAddress(value);
  if (!address.ok) throw new UsageError('BAD_ADDRESS', `The address "${value}" ${address.reason}.`);
  return address.address;
}

function parseStatus(value: string): SubscriberStatus {
  if ((STATUSES as readonly string[]).includes(value)) return value as SubscriberStatus;
  throw new UsageError('BAD_STATUS', `--status must be one of ${STATUSES.join(', ')} (got "${value}")`);
}

export const subscribersCommand: Command = {
  name: 'subscribers',
  usage: 'digest subscribers add EMAIL [--name N] [--categories a,b] [--cadence weekly] | import FILE.csv | list [--status S] [--topic T] | export | remove EMAIL | stats',
  summary: 'manage the subscriber list',
  async run(context) {
    const [actionName = '', ...rest] = context.args;
    const action = ACTIONS[actionName];
    if (!action) throw new UsageError('USAGE', `Unknown subscribers action "${actionName}". Usage: ${this.usage}`);
    const app = await createApp(context.loadConfig());
    try {
      return await action(context, app, rest);
    } finally {
      await app.close();
    }
  },
};
