import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createApp } from '../../app.js';
import { UsageError } from '../../errors.js';
import { checkAddress } from '../../mail/address.js';
import { previewMessage } from '../../edition/preview-message.js';
import { parseCadence } from './send.js';
import type { Command } from '../command.js';

export const renderCommand: Command = {
  name: 'render',
  usage: 'digest render [--out DIR] [--subscriber EMAIL] [--cadence weekly|daily|monthly]',
  summary: 'write the next digest as HTML, text and .eml without sending or recording anything',
  async run({ args, out, loadConfig }) {
    const { values } = parseArgs({ args, options: { out: { type: 'string', default: 'out' }, subscriber: { type: 'string' }, cadence: { type: 'string', default: 'weekly' } } });
    const config = loadConfig();
    const app = await createApp(config, { dryRun: true });
    try {
      const email = values.subscriber === undefined ? undefined : checkAddress(values.subscriber);
      if (email && !email.ok) throw new UsageError('BAD_ADDRESS', `--subscriber "${values.subscriber}" ${email.reason}`);
      const result = await previewMessage(app, { cadence: parseCadence(values.cadence), email: email?.address });
      if (!result.message) {
        out('Nothing new to render: no post has been published since the last edition.');
        return 0;
      }
      const dir = resolve(values.out);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'digest.html'), result.message.html);
      await writeFile(join(dir, 'digest.txt'), result.message.text);
      await writeFile(join(dir, 'digest.eml'), result.message.eml);
      out(`Edition #${result.message.number} as ${result.message.recipient}: ${result.message.posts.length} posts, subject "${result.message.subject}"`);
      out(`Wrote ${join(dir, 'digest.html')}, digest.txt and digest.eml (nothing was sent or recorded).`);
      return 0;
    } finally {
      await app.close();
    }
  },
};
