import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { createApp } from '../../app.js';
import { UsageError } from '../../errors.js';
import { checkAddress } from '../../mail/address.js';
import { previewMessage } from '../../edition/preview-message.js';
import { parseCadence } from './send.js';
import { stringOption, type CommandContext } from '../command.js';

export async function render({ options, out, loadConfig, early }: CommandContext): Promise<number> {
  const values = { out: stringOption(options, 'out') ?? 'out', subscriber: stringOption(options, 'subscriber'), cadence: stringOption(options, 'cadence') };
  const app = await createApp(loadConfig(), { dryRun: true, mjml: early?.mjml });
  try {
    const email = values.subscriber === undefined ? undefined : checkAddress(values.subscriber);
    if (email && !email.ok) throw new UsageError('BAD_ADDRESS', `--subscriber "${values.subscriber}" ${email.reason}`);
    const result = await previewMessage(app, { cadence: parseCadence(values.cadence), email: email?.address });
    if (!result.message) {
      out('Nothing new to render: no post has been published since the last edition.');
      return 0;
    }
    const dir = await outputFolder(resolve(values.out));
    await writeOutput(join(dir, 'digest.html'), result.message.html);
    await writeOutput(join(dir, 'digest.txt'), result.message.text);
    await writeOutput(join(dir, 'digest.eml'), result.message.eml);
    const count = result.message.posts.length;
    out(`Edition #${result.message.number} as ${result.message.recipient}: ${count} post${count === 1 ? '' : 's'}, subject "${result.message.subject}"`);
    if (email && !(await app.store.findSubscriber(email.address))) out(`${email.address} is not on the list: rendered as an all-topics reader.`);
    out(`Wrote ${join(dir, 'digest.html')}, digest.txt and digest.eml (nothing was sent or recorded).`);
    return 0;
  } finally {
    await app.close();
  }
}

/**
 * The --out folder: used if it is a folder, else created (only the last part: its parent must
 * exist; a recursive mkdir of an arbitrary path can loop forever on special file systems).
 */
async function outputFolder(dir: string): Promise<string> {
  const existing = await stat(dir).catch(() => undefined);
  if (existing?.isDirectory()) return dir;
  if (existing) throw new UsageError('BAD_OUT', `--out ${dir} is a file, not a folder: name a folder (it is created if missing)`);
  try {
    await mkdir(dir);
    return dir;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const parentExists = await stat(dirname(dir)).then((s) => s.isDirectory(), () => false);
    if (!parentExists) throw new UsageError('BAD_OUT', `--out ${dir}: the folder ${dirname(dir)} does not exist: create it first or name another folder`);
    throw new UsageError('BAD_OUT', `--out ${dir} cannot be created (${refusal(code)}): name a folder you can write to`);
  }
}

async function writeOutput(file: string, content: string | Buffer): Promise<void> {
  try {
    await writeFile(file, content);
  } catch (error) {
    throw new UsageError('BAD_OUT', `${file} cannot be written (${refusal((error as NodeJS.ErrnoException).code)}): name a folder you can write to with --out`);
  }
}

function refusal(code: string | undefined): string {
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'read-only file system';
  if (code === 'ENOSPC') return 'the disk is full';
  return 'the file system refused it';
}
