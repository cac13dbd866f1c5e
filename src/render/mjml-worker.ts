import { parentPort } from 'node:worker_threads';
import { messageOf } from '../errors.js';
import { importMjml, mjmlToHtml } from './mjml.js';
import { deferUnusedMjmlParts } from './mjml-unused-parts.js';

/**
 * The worker side of mjml-thread.ts: imports mjml as soon as it starts (the slow part, done while
 * the main thread loads the configuration, opens the store and collects posts), without the parts
 * of mjml a digest never runs (mjml-unused-parts.ts), then compiles each MJML source it is sent
 * with the same `mjmlToHtml` as the main thread would.
 */
export interface MjmlRequest {
  id: number;
  source: string;
}
export type MjmlReply = { id: number; html: string; warnings: string[] } | { id: number; error: string };

const port = parentPort;
if (port) {
  warmIcu();
  deferUnusedMjmlParts();
  const loaded = importMjml();
  loaded.catch(() => undefined); // reported with the first request
  port.on('message', ({ id, source }: MjmlRequest) => {
    loaded
      .then((mjml2html) => mjmlToHtml(mjml2html, source))
      .then(
        (output): MjmlReply => ({ id, ...output }),
        (error: unknown): MjmlReply => ({ id, error: messageOf(error) }),
      )
      .then((reply) => port.postMessage(reply));
  });
}

/**
 * The first date formatted in a time zone costs 30–100 ms while ICU loads its locale and zone
 * data, and ICU keeps that data for the whole process. Formatting one date here first takes that
 * off the main thread, where the configuration's TIMEZONE check and the digest's dates need it.
 */
function warmIcu(): void {
  new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', dateStyle: 'full', timeStyle: 'long' }).format(0);
}
