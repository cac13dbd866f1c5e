import { ImapFlow } from 'imapflow';
import { messageOf } from '../errors.js';
import { processMail, type BounceDeps } from './process.js';

/**
 * The bounce mailbox, read over IMAP (BOUNCE_IMAP_URL). Every message is read, judged and then
 * moved to the processed folder, never deleted; one whose report could not be stored stays in the
 * inbox for the next poll. A message over the size limit is moved without being downloaded.
 */
export interface MailboxSettings {
  url: string;
  processedFolder: string;
}

export interface PollResult {
  read: number;
  recorded: number;
  /** Reports already recorded before (the same report delivered twice). */
  duplicate: number;
  ignored: number;
  movedUnread: number;
  leftForRetry: number;
}

export function imapTarget(url: string): { host: string; port: number; secure: boolean; user: string; pass: string; mailbox: string } {
  const parsed = new URL(url);
  const secure = parsed.protocol === 'imaps:';
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : secure ? 993 : 143,
    secure,
    user: decodeURIComponent(parsed.username),
    pass: decodeURIComponent(parsed.password),
    mailbox: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'INBOX',
  };
}

export async function pollMailbox(deps: BounceDeps, settings: MailboxSettings): Promise<PollResult> {
  const target = imapTarget(settings.url);
  const client = new ImapFlow({ host: target.host, port: target.port, secure: target.secure, auth: { user: target.user, pass: target.pass }, logger: false, disableAutoIdle: true });
  const result: PollResult = { read: 0, recorded: 0, duplicate: 0, ignored: 0, movedUnread: 0, leftForRetry: 0 };
  await client.connect();
  try {
    await ensureFolder(client, settings.processedFolder);
    const lock = await client.getMailboxLock(target.mailbox);
    try {
      const box = client.mailbox;
      if (!box || box.exists === 0) return result;
      const messages = await client.fetchAll('1:*', { uid: true, size: true });
      for (const { uid, size } of messages) await handleOne(deps, client, settings, { uid, size: size ?? 0 }, result);
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
  return result;
}

async function handleOne(deps: BounceDeps, client: ImapFlow, settings: MailboxSettings, message: { uid: number; size: number }, result: PollResult): Promise<void> {
  if (message.size > deps.maxBytes) {
    deps.logger.warn('bounce.too_large', { source: 'imap', uid: message.uid, bytes: message.size });
    await client.messageMove(String(message.uid), settings.processedFolder, { uid: true });
    result.movedUnread += 1;
    return;
  }
  const fetched = await client.fetchOne(String(message.uid), { source: true }, { uid: true });
  if (!fetched || !fetched.source) return;
  result.read += 1;
  try {
    const outcome = await processMail(deps, fetched.source, 'imap');
    result[outcome.result === 'recorded' ? 'recorded' : outcome.result] += 1;
  } catch (error) {
    deps.logger.error('bounce.store_failed', { source: 'imap', uid: message.uid, error: messageOf(error) });
    result.leftForRetry += 1;
    return;
  }
  await client.messageMove(String(message.uid), settings.processedFolder, { uid: true });
}

async function ensureFolder(client: ImapFlow, folder: string): Promise<void> {
  const folders = await client.list();
  if (!folders.some((f) => f.path === folder)) await client.mailboxCreate(folder);
}

/** Polls now and then every `intervalMs` until stopped; a failed poll is logged and tried again next time. */
export function startMailboxPolling(deps: BounceDeps, settings: MailboxSettings, intervalMs: number): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const tick = () => {
    running = pollMailbox(deps, settings).then(
      (r) => deps.logger.info('bounce.mailbox_polled', { ...r }),
      (error: unknown) => deps.logger.warn('bounce.mailbox_failed', { error: messageOf(error) }),
    ).finally(() => {
      if (!stopped) timer = setTimeout(tick, intervalMs);
    });
  };
  tick();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
