import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Config } from './config.js';
import { createLogger, silentLogger, withFields, type Logger } from './logger.js';
import { encodeText } from './mail/headers.js';
import { noMetrics, type Metrics } from './metrics/metrics.js';
import type { SenderInfo } from './mail/message.js';
import { deliveryMessageId } from './mail/message-id.js';
import { inThreadMjml, type MjmlCompiler } from './render/mjml.js';
import type { CompiledTemplates } from './render/templates.js';
import type { Publication } from './render/view-model.js';
import { openStore } from './store/open.js';
import { verpCodec, type Verp } from './bounces/verp.js';
import type { Store } from './store/store.js';
import { tokenSigner, type TokenSigner } from './tokens.js';
import { dryRunTransport, outboxTransport } from './transport/outbox.js';
import { signingTransport } from './transport/signing.js';
import type { Transport } from './transport/transport.js';

/**
 * The composition root: the only place that turns configuration into concrete parts. Everything
 * else receives the parts it needs, so tests, preview, dry runs and production share one code path.
 */
export interface App {
  config: Config;
  store: Store;
  transport: Transport;
  now: () => Date;
  logger: Logger;
  signer: TokenSigner;
  publication: Publication;
  sender: SenderInfo;
  templates: () => Promise<CompiledTemplates>;
  /** Set with BOUNCE_ADDRESS: signs and reads the per-delivery envelope senders. */
  verp: Verp | undefined;
  /** Where SNS signing certificates and subscription links may come from (the provider's https hosts). */
  snsCertificateOrigins: RegExp;
  /** Where delivery, the scheduler and the web server count things (Prometheus in long-running commands). */
  metrics: Metrics;
  close(): Promise<void>;
}

export interface AppOptions {
  /** Work on an in-memory copy of the database and send nothing. */
  dryRun?: boolean;
  transport?: Transport;
  now?: () => Date;
  logger?: Logger;
  /** Tests serve their own SNS-style certificate from a loopback origin. */
  snsCertificateOrigins?: RegExp;
  metrics?: Metrics;
  /**
   * Where MJML is compiled: `digest send` and `digest render` pass the worker they started before
   * reading the configuration (render/mjml-thread.ts); otherwise in this thread. Closed with the app.
   */
  mjml?: MjmlCompiler;
}

/** Amazon SNS signs with certificates served only from these https hosts. */
const SNS_ORIGINS = /^https:\/\/sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const store = await openStore(config, { dryRun: options.dryRun === true });
  const now = options.now ?? (() => new Date());
  const transport = await sendingTransport(config, now, options.transport ?? (options.dryRun ? dryRunTransport() : await defaultTransport(config)));
  const domain = config.from.address.split('@')[1] ?? 'localhost';
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const secret = config.secret ?? (await generatedSecret(store, options.dryRun ? silentLogger : logger, config.dataDir));
  const verp = config.bounces.address ? verpCodec(config.bounces.address, secret) : undefined;
  const mjml = options.mjml ?? inThreadMjml();
  return {
    config,
    store,
    transport,
    now,
    // Every line of a dry run says so, so a log collector never takes it for a real send.
    logger: options.dryRun ? withFields(logger, { dryRun: true }) : logger,
    signer: tokenSigner(secret),
    verp,
    snsCertificateOrigins: options.snsCertificateOrigins ?? SNS_ORIGINS,
    publication: {
      name: config.publicationName,
      siteUrl: config.siteUrl,
      publicUrl: config.publicUrl,
      timezone: config.timezone,
      sender: { name: config.from.name || config.publicationName, email: config.from.address, postalAddress: config.postalAddress },
      subjectTemplate: config.subjectTemplate,
    },
    sender: {
      from: { name: config.from.name || config.publicationName, address: config.from.address },
      listId: `${encodeText(config.publicationName.replace(/[<>"]/g, ''))} <digest.${domain}>`,
      domain,
      ...(verp ? { envelopeFrom: (edition: number, subscriberId: number) => verp.address({ edition, subscriberId }) } : {}),
      messageId: (edition, subscriberId) => deliveryMessageId(secret, domain, edition, subscriberId),
    },
    // Imported when first needed: `status`, `subscribers` and the like never compile a template.
    templates: async () => (await import('./render/templates.js')).loadTemplates(config.templatesDir, mjml),
    metrics: options.metrics ?? noMetrics,
    async close() {
      await transport.close();
      await store.close();
      await mjml.close();
    },
  };
}

/**
 * Where mail goes when nothing else is wired in: SMTP_URL, else the outbox. Unsigned: see
 * sendingTransport. The SMTP client is imported only when SMTP_URL is set.
 */
export async function defaultTransport(config: Config): Promise<Transport> {
  if (!config.smtpUrl) return outboxTransport(join(config.dataDir, 'outbox'));
  const { smtpClientTransport } = await import('./transport/smtp-client/index.js');
  return smtpClientTransport(config.smtpUrl, {
    maxConnections: config.smtpMaxConnections,
    ...(config.smtpRatePerSecond ? { ratePerSecond: config.smtpRatePerSecond } : {}),
    timeoutMs: config.smtpTimeoutSeconds * 1000,
    connectTimeoutMs: config.smtpConnectTimeoutSeconds * 1000,
  });
}

/** The one transport messages leave through: CRLF line ends and, with DKIM configured, signed. */
export async function sendingTransport(config: Config, now: () => Date, inner?: Transport): Promise<Transport> {
  return signingTransport(inner ?? (await defaultTransport(config)), config.dkim, now);
}

/**
 * Without DIGEST_SECRET (the embedded default only: config requires it with SMTP), a secret is
 * made once and kept in the database, so links in mail already sent keep working — as long as
 * that database exists. Deleting DATA_DIR makes a new secret and every older link invalid, so
 * the moment one is made is logged, saying so.
 */
async function generatedSecret(store: Store, logger: Logger, dataDir: string): Promise<string> {
  const existing = await store.getMeta('generated-secret');
  if (existing) return existing;
  const secret = randomBytes(32).toString('hex');
  await store.setMeta('generated-secret', secret);
  logger.warn('secret.generated', { keptIn: dataDir, note: 'no DIGEST_SECRET: links in mail are signed with a secret kept in the database; deleting DATA_DIR invalidates every link already sent. Set DIGEST_SECRET (openssl rand -hex 32) before sending real mail.' });
  return secret;
}
