import { createApp, type App } from '../../app.js';
import { UsageError } from '../../errors.js';
import { checkAddress } from '../../mail/address.js';
import { SUBSCRIBER_STATUSES as STATUSES, type SubscriberStatus } from '../../store/store.js';
import { chunkedOutput } from '../chunked-output.js';
import { splitCategories, subscriberCsvHeader, subscriberCsvLine } from '../../subscribers/csv.js';
import { importSubscriberFile } from '../../subscribers/import.js';
import { requireScheduledCadence, unknownTopicsWarning, unscheduledCadence } from '../../subscribers/choices.js';
import { subscriberStats } from '../../subscribers/stats.js';
import { plainLine } from '../../text.js';
import { stringOption, type CommandContext } from '../command.js';
import { parseCadence } from './send.js';

/** Each subcommand opens the app, does its one thing, and closes the app whatever happens. */
function withApp(work: (app: App, context: CommandContext) => Promise<number>): (context: CommandContext) => Promise<number> {
  return async (context) => {
    const app = await createApp(context.loadConfig());
    try {
      return await work(app, context);
    } finally {
      await app.close();
    }
  };
}

export const add = withApp(async (app, { args, options, out }) => {
  const address = addressArgument(args[0]);
  const cadenceOption = stringOption(options, 'cadence');
  const cadence = cadenceOption === undefined ? undefined : parseCadence(cadenceOption);
  requireScheduledCadence(app.config, cadence);
  const name = stringOption(options, 'name');
  const categories = stringOption(options, 'categories');
  const row = {
    email: address,
    status: 'active' as const,
    ...(name === undefined ? {} : { name: plainLine(name) }),
    ...(categories === undefined ? {} : { categories: splitCategories(categories) }),
    ...(cadence === undefined ? {} : { cadence }),
  };
  const { added } = await app.store.upsertSubscribers([row], app.now());
  out(`${added ? 'Added' : 'Updated'} ${address}.`);
  const warning = await unknownTopicsWarning(app.config, row.categories ?? []);
  if (warning) out(warning);
  return 0;
});

export const importCsv = withApp(async (app, { args, out }) => {
  const file = args[0] ?? '';
  const counts = await importSubscriberFile(app.store, file, {
    now: app.now(),
    cadenceProblem: (cadence) => unscheduledCadence(app.config, cadence),
    reject: (line, reason) => out(`${file}:${line}: ${reason}`),
  });
  const { rows, added, updated, unchanged, rejected } = counts;
  out(`Imported ${rows} rows from ${file}: ${added} added, ${updated} updated, ${unchanged ? `${unchanged} unchanged, ` : ''}${rejected} rejected.`);
  const warning = await unknownTopicsWarning(app.config, counts.topics);
  if (warning) out(warning);
  return rejected > 0 ? 1 : 0;
});

export const list = withApp(async (app, context) => {
  const status = stringOption(context.options, 'status');
  const topic = stringOption(context.options, 'topic');
  const output = chunkedOutput(context);
  let count = 0;
  for await (const s of app.store.listSubscribers({ ...(status ? { status: parseStatus(status) } : {}), ...(topic ? { category: topic } : {}) })) {
    const stopped = s.excludedCategories.length ? ` except ${s.excludedCategories.join(';')}` : '';
    if (!(await output.line(`${s.email}\t${s.name}\t${s.status}\t${s.cadence}\t${s.categories.join(';') || '(all topics)'}${stopped}`))) return 0;
    count += 1;
  }
  await output.line(`${count} subscriber${count === 1 ? '' : 's'}`);
  output.end();
  return 0;
});

/**
 * Streams the list page by page in chunks (chunked-output.ts), so memory stays flat however long
 * the list and however slow the reader. The `excluded` column (stopped topics) only when someone
 * has one, so older files keep their shape.
 */
export const exportCsv = withApp(async (app, context) => {
  let excluded = false;
  for await (const _ of app.store.listSubscribers({ stoppedTopics: true })) {
    excluded = true;
    break;
  }
  const output = chunkedOutput(context);
  await output.line(subscriberCsvHeader(excluded));
  for await (const subscriber of app.store.listSubscribers()) {
    if (!(await output.line(subscriberCsvLine(subscriber, excluded)))) return 0;
  }
  output.end();
  return 0;
});

export const stats = withApp(async (app, { out }) => {
  const counts = await subscriberStats(app.store);
  out(`Subscribers: ${counts.total}`);
  out(`  by status: ${Object.entries(counts.byStatus).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  out(`  active by cadence: ${Object.entries(counts.byCadence).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  out(`  active by topic: ${counts.byTopic.map(([k, v]) => `${k} ${v}`).join(', ') || '(none chose topics)'}; every topic: ${counts.allTopics}`);
  return 0;
});

export const remove = withApp(async (app, { args, out }) => {
  const address = addressArgument(args[0]);
  const removed = await app.store.removeSubscriber(address);
  out(removed ? `Removed ${address}.` : `${address} is not on the list.`);
  return removed ? 0 : 1;
});

/** The EMAIL argument, normalised by the one address rule. */
function addressArgument(value: string | undefined): string {
  if (value === undefined) throw new UsageError('USAGE', "Name the subscriber's address.");
  const address = checkAddress(value);
  if (!address.ok) throw new UsageError('BAD_ADDRESS', `The address "${value}" ${address.reason}.`);
  return address.address;
}

function parseStatus(value: string): SubscriberStatus {
  if ((STATUSES as readonly string[]).includes(value)) return value as SubscriberStatus;
  throw new UsageError('BAD_STATUS', `--status must be one of ${STATUSES.join(', ')} (got "${value}")`);
}
