import { readFile } from 'node:fs/promises';
import { createApp, type App } from '../../app.js';
import { splitMailFile } from '../../bounces/mbox.js';
import { bounceDeps, type Outcome } from '../../bounces/record.js';
import { UsageError } from '../../errors.js';
import { portOption, stringOption, untilStopSignal, type CommandContext } from '../command.js';

type Action = (context: CommandContext, app: App) => Promise<number>;
export type BouncesAction = 'list' | 'process' | 'serve';

const ACTIONS: Record<BouncesAction, Action> = {
  async list({ out, options }, app) {
    const given = stringOption(options, 'limit');
    const limit = given === undefined ? 50 : Number(given);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new UsageError('USAGE', `--limit must be a whole number from 1 to 100000 (got "${given}")`);
    const events = await app.store.listBounces(limit);
    if (options.json === true) {
      out(JSON.stringify(events, null, 2));
      return 0;
    }
    for (const e of events) {
      const effect = e.statusChanged ? (e.kind === 'complaint' ? ' → unsubscribed' : ' → bounced') : '';
      out(`${e.receivedAt.toISOString()}\t${e.kind}${effect}\t${e.email}\t#${e.edition ?? '?'}\t${e.source}\t${e.status ?? ''}\t${e.reason}`);
    }
    out(`${events.length} event${events.length === 1 ? '' : 's'}`);
    return 0;
  },
  async process({ out, args }, app) {
    const file = args[0];
    if (!file) throw new UsageError('USAGE', 'Name the file: digest bounces process FILE (an mbox or a .eml message)');
    const messages = splitMailFile(await readMailFile(file));
    // mailparser, imapflow and smtp-server load only for the commands that use them (start-up time).
    const { processMail } = await import('../../bounces/process.js');
    const deps = bounceDeps(app);
    const outcomes: Outcome[] = [];
    for (const [index, raw] of messages.entries()) {
      const outcome = await processMail(deps, raw, 'file');
      outcomes.push(outcome);
      out(`${file}: message ${index + 1}: ${describe(outcome)}`);
    }
    const count = (result: Outcome['result']) => outcomes.filter((o) => o.result === result).length;
    out(`Processed ${messages.length} message${messages.length === 1 ? '' : 's'} from ${file}: ${count('recorded')} recorded, ${count('duplicate')} already known, ${count('ignored')} ignored.`);
    return 0;
  },
  async serve({ out, options }, app) {
    const values = { port: stringOption(options, 'port'), host: stringOption(options, 'host') };
    const { bounces } = app.config;
    if (!app.verp && !bounces.imapUrl) {
      throw new UsageError('BOUNCES_OFF', 'Nothing to serve: set BOUNCE_ADDRESS (the SMTP listener for VERP bounces) and/or BOUNCE_IMAP_URL (a bounce mailbox)');
    }
    const deps = bounceDeps(app);
    const [{ startBounceListener }, { startMailboxPolling }] = await Promise.all([import('../../bounces/listener.js'), import('../../bounces/mailbox.js')]);
    const listener = app.verp ? await startBounceListener({ ...deps, verp: app.verp }, portOption(values.port, bounces.smtpPort), values.host ?? bounces.smtpHost) : undefined;
    if (listener) out(`Bounce listener on ${values.host ?? bounces.smtpHost}:${listener.port} for ${app.verp?.base.replace('@', '+…@')}.`);
    const polling = bounces.imapUrl ? startMailboxPolling(deps, { url: bounces.imapUrl, processedFolder: bounces.imapProcessedFolder }, bounces.imapPollSeconds * 1000) : undefined;
    if (polling) out(`Reading the bounce mailbox every ${bounces.imapPollSeconds} s; read messages go to "${bounces.imapProcessedFolder}".`);
    out('Stop with Ctrl-C.');
    await untilStopSignal();
    await polling?.stop();
    await listener?.close();
    out('Stopped.');
    return 0;
  },
};

function describe(outcome: Outcome): string {
  if (outcome.result === 'ignored') return `ignored: ${outcome.why}`;
  const effect = outcome.statusChanged ? (outcome.kind === 'complaint' ? ', unsubscribed' : ', marked bounced') : '';
  return `${outcome.result === 'duplicate' ? 'already recorded' : 'recorded'} ${outcome.kind} for ${outcome.email} (edition #${outcome.edition})${effect}`;
}

async function readMailFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError('MAIL_FILE_MISSING', `${file} does not exist: check the path of the mbox or .eml file`);
    if (code === 'EISDIR') throw new UsageError('MAIL_FILE_MISSING', `${file} is a folder: name the mbox or .eml file inside it`);
    throw new UsageError('MAIL_FILE_UNREADABLE', `${file} cannot be read (${code ?? (error as Error).message}): check the file's permissions`);
  }
}

/** `digest bounces list|process|serve`: one app for the action, closed whatever happens. */
export async function bounces(context: CommandContext, action: BouncesAction): Promise<number> {
  const app = await createApp(context.loadConfig());
  try {
    return await ACTIONS[action](context, app);
  } finally {
    await app.close();
  }
}
