import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import cron from 'node-cron';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { feedsFilePath, readFeedSources, type FeedSource } from './feeds/sources.js';
import { LOG_LEVELS, type LogLevel } from './logger.js';
import { checkAddress, parseMailbox, type Mailbox } from './mail/address.js';
import type { DkimAlgorithm } from './mail/dkim.js';
import { compileSubject } from './render/subject.js';
import { ambiguousSixFields } from './schedule/six-fields.js';
import type { Cadence } from './render/view-model.js';

/**
 * Configuration comes from the environment, with `.env` filling in what the environment lacks.
 * It is validated once at start-up and every problem is reported at once, by variable name.
 */
const optional = (schema: z.ZodType) => z.preprocess((v) => (v === '' ? undefined : v), schema);
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const httpUrl = z
  .string()
  .url('must be an absolute URL such as https://example.org')
  .refine((v) => /^https?:\/\//i.test(v), 'must start with http:// or https://')
  .transform((v) => (v.endsWith('/') ? v : `${v}/`));

const mailbox = z.string().transform((value, ctx): Mailbox => {
  const parsed = parseMailbox(value);
  if (parsed.ok) return parsed.mailbox;
  ctx.addIssue({ code: 'custom', message: `${parsed.reason}; write it as "Name <name@example.org>"` });
  return z.NEVER;
});

const cronExpression = z
  .string()
  .refine((v) => cron.validate(v), 'is not a valid cron expression (five fields, or six with seconds first, e.g. "0 8 * * 1")')
  .superRefine((v, ctx) => {
    const ambiguity = ambiguousSixFields(v);
    if (ambiguity) ctx.addIssue({ code: 'custom', message: ambiguity });
  });

const timezone = z.string().refine(isTimeZone, 'is not an IANA time zone such as Europe/Berlin or UTC');

const smtpUrl = z
  .string()
  .url('must be an SMTP URL such as smtp://user:pass@host:587 or smtps://host:465')
  .refine((v) => /^smtps?:\/\//i.test(v), 'must start with smtp:// or smtps://');

const databaseUrl = z
  .string()
  .refine((v) => /^postgres(ql)?:\/\/[^\s]+$/i.test(v), 'must be a PostgreSQL URL such as postgres://user:pass@host:5432/digest');

/** The bounce mailbox: a bare address whose name part has no "+", which VERP uses as its separator. */
const bounceAddress = z.string().transform((value, ctx): string => {
  const checked = checkAddress(value);
  if (checked.ok && !checked.address.split('@')[0]?.includes('+')) return checked.address;
  ctx.addIssue({ code: 'custom', message: checked.ok ? 'must not contain "+" before the @ (VERP adds "+<id>" there)' : `${checked.reason}; write it as bounces@example.org` });
  return z.NEVER;
});

const imapUrl = z
  .string()
  .url('must be an IMAP URL such as imaps://user:pass@mail.example.org/INBOX')
  .refine((v) => /^imaps?:\/\//i.test(v), 'must start with imap:// or imaps://');

const oneLine = z.string().max(200).refine((v) => !/[\r\n]/.test(v), 'must be a single line');

const subjectTemplate = z
  .string()
  .max(300)
  .refine((v) => !/[\r\n]/.test(v), 'must be a single line')
  .superRefine((v, ctx) => {
    try {
      compileSubject(v);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `${(error as Error).message}; e.g. DIGEST_SUBJECT="{{lead.title}} and {{moreCount}} more"` });
    }
  });

/** Which public pages search engines may index: a comma list of signup and archive, or none. */
export const INDEXABLE_PAGES = ['signup', 'archive'] as const;
export type IndexablePage = (typeof INDEXABLE_PAGES)[number];
const indexing = z
  .string()
  .transform((v) => v.split(',').map((p) => p.trim().toLowerCase()).filter(Boolean))
  .refine((list) => list.every((p) => p === 'none' || (INDEXABLE_PAGES as readonly string[]).includes(p)), 'must be a comma list of signup and archive, or none (e.g. "signup,archive")')
  .transform((list) => list.filter((p): p is IndexablePage => p !== 'none'));

const schema = z.object({
  SMTP_URL: optional(smtpUrl.optional()),
  SMTP_MAX_CONNECTIONS: optional(int(1, 50).default(5)),
  SMTP_RATE_PER_SECOND: optional(z.coerce.number().positive().optional()),
  SMTP_RETRY_ATTEMPTS: optional(int(1, 20).default(4)),
  SMTP_RETRY_BUDGET_SECONDS: optional(int(0, 86_400).default(300)),
  SMTP_TIMEOUT_SECONDS: optional(int(1, 3600).default(120)),
  SMTP_CONNECT_TIMEOUT_SECONDS: optional(int(1, 600).default(15)),
  UNCERTAIN_RESEND: optional(z.enum(['once', 'never'], 'must be once or never').default('once')),
  UNCERTAIN_STOP_AFTER: optional(int(1, 100_000).default(3)),
  DEFERRED_MAX_AGE_HOURS: optional(z.coerce.number().positive().max(24 * 60).default(72)),
  CIRCUIT_BREAKER_FAILURES: optional(int(1, 100_000).default(25)),
  DKIM_DOMAIN: optional(z.string().regex(/^[A-Za-z0-9.-]+$/, 'must be a domain name such as example.org').optional()),
  DKIM_SELECTOR: optional(z.string().regex(/^[A-Za-z0-9._-]+$/, 'must be a DNS label such as digest2026').optional()),
  DKIM_PRIVATE_KEY_FILE: optional(z.string().optional()),
  DKIM_ALGORITHM: optional(z.enum(['rsa-sha256', 'ed25519-sha256'], 'must be rsa-sha256 or ed25519-sha256').default('rsa-sha256')),
  DIGEST_FROM: optional(mailbox.prefault('Digest <digest@example.org>')),
  PUBLICATION_NAME: optional(oneLine.default('International Governments Digest')),
  SENDER_POSTAL_ADDRESS: optional(oneLine.default('Example Publishing, 1 Example Street, 10115 Berlin, Germany')),
  PUBLIC_URL: optional(httpUrl.default('http://localhost:3000/')),
  SITE_URL: optional(httpUrl.default('https://blog.example.org/')),
  DATA_DIR: optional(z.string().default('./data')),
  POSTS_DIR: optional(z.string().default('./posts')),
  TEMPLATES_DIR: optional(z.string().default('./templates')),
  DIGEST_SECRET: optional(z.string().min(32, 'must be at least 32 characters (try: openssl rand -hex 32)').optional()),
  DIGEST_MAX_POSTS: optional(int(1, 100).default(10)),
  DIGEST_SCHEDULE: optional(cronExpression.default('0 8 * * 1')),
  DIGEST_DAILY_SCHEDULE: optional(cronExpression.optional()),
  DIGEST_MONTHLY_SCHEDULE: optional(cronExpression.optional()),
  DIGEST_TIMEZONE: optional(timezone.default('UTC')),
  DIGEST_CATCH_UP_GRACE_HOURS: optional(z.coerce.number().min(0).max(24 * 366).default(12)),
  SHUTDOWN_TIMEOUT_SECONDS: optional(int(1, 3600).default(30)),
  PORT: optional(int(0, 65535).default(3000)),
  TRUST_PROXY: optional(z.enum(['true', 'false']).default('false')),
  METRICS_PORT: optional(int(0, 65535).optional()),
  METRICS_HOST: optional(z.string().default('127.0.0.1')),
  SAMPLE_SUBSCRIBERS: optional(z.string().default('./samples/subscribers.csv')),
  DATABASE_URL: optional(databaseUrl.optional()),
  DATABASE_POOL_SIZE: optional(int(3, 200).default(10)), // LISTEN and the prepare lock may each hold one while others query
  CLAIM_BATCH_SIZE: optional(int(1, 10_000).default(100)),
  WORKER_HEARTBEAT_SECONDS: optional(int(1, 3600).default(10)),
  WORKER_DEAD_AFTER_SECONDS: optional(int(2, 86_400).default(30)),
  WORKER_POLL_SECONDS: optional(int(1, 3600).default(5)),
  DIGEST_SUBJECT: optional(subjectTemplate.optional()),
  PUBLIC_INDEXING: optional(indexing.prefault('signup,archive')),
  LOG_LEVEL: optional(z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`).optional()),
  FEEDS: optional(z.string().max(20_000).optional()),
  FEEDS_FILE: optional(z.string().optional()),
  FEEDS_TIMEOUT_SECONDS: optional(z.coerce.number().positive().max(300).default(20)),
  FEEDS_MAX_MB: optional(z.coerce.number().positive().max(100).default(5)),
  BOUNCE_ADDRESS: optional(bounceAddress.optional()),
  BOUNCE_SMTP_PORT: optional(int(0, 65535).default(2525)),
  BOUNCE_SMTP_HOST: optional(z.string().default('127.0.0.1')),
  BOUNCE_MAX_MESSAGE_BYTES: optional(int(10_000, 100_000_000).default(10_000_000)),
  BOUNCE_IMAP_URL: optional(imapUrl.optional()),
  BOUNCE_IMAP_PROCESSED_FOLDER: optional(oneLine.default('Processed')),
  BOUNCE_IMAP_POLL_SECONDS: optional(int(5, 86_400).default(60)),
  BOUNCE_SOFT_LIMIT: optional(int(1, 1000).default(3)),
  BOUNCE_SOFT_WINDOW_DAYS: optional(int(1, 3650).default(30)),
  BOUNCE_SES_TOPIC_ARN: optional(z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'must be an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:bounces').optional()),
  BOUNCE_POSTMARK_CREDENTIALS: optional(z.string().regex(/^[^:\s]+:\S{16,}$/, 'must be user:password for the webhook URL, the password at least 16 characters').optional()),
  BOUNCE_MAILGUN_SIGNING_KEY: optional(z.string().min(16, 'must be the HTTP webhook signing key from the Mailgun dashboard').optional()),
});

export type Config = ReturnType<typeof toConfig>;

/**
 * Every variable the schema knows, with its default as written in the environment (undefined: no
 * default). The configuration reference and .env.example are checked against this list.
 */
export function configVariables(): { name: string; defaultValue: string | undefined }[] {
  return Object.entries(schema.shape).map(([name, type]) => ({ name, defaultValue: defaultOf(type) }));
}

function defaultOf(type: z.ZodType): string | undefined {
  const def = type.def as { type: string; defaultValue?: unknown; in?: z.ZodType; out?: z.ZodType };
  if (def.type === 'default' || def.type === 'prefault') return String(def.defaultValue);
  if (def.type === 'pipe') return (def.out && defaultOf(def.out)) ?? (def.in && defaultOf(def.in));
  return undefined;
}

function toConfig(env: z.infer<typeof schema>, cwd: string) {
  return {
    smtpUrl: env.SMTP_URL as string | undefined,
    smtpMaxConnections: env.SMTP_MAX_CONNECTIONS as number,
    smtpRatePerSecond: env.SMTP_RATE_PER_SECOND as number | undefined,
    smtpRetryAttempts: env.SMTP_RETRY_ATTEMPTS as number,
    smtpRetryBudgetSeconds: env.SMTP_RETRY_BUDGET_SECONDS as number,
    smtpTimeoutSeconds: env.SMTP_TIMEOUT_SECONDS as number,
    /** Bound on the TCP connect, the greeting and each TLS handshake. */
    smtpConnectTimeoutSeconds: env.SMTP_CONNECT_TIMEOUT_SECONDS as number,
    /** 'once': a send that may or may not have arrived is resent once, with the same Message-ID. */
    uncertainResend: env.UNCERTAIN_RESEND as 'once' | 'never',
    /** This many uncertain results in one run stop it (a network fault), leaving the rest pending. */
    uncertainStopAfter: env.UNCERTAIN_STOP_AFTER as number,
    deferredMaxAgeHours: env.DEFERRED_MAX_AGE_HOURS as number,
    circuitBreakerFailures: env.CIRCUIT_BREAKER_FAILURES as number,
    /** All three set: messages are DKIM-signed; none: unsigned (checked in loadConfig). */
    dkim: env.DKIM_DOMAIN && env.DKIM_SELECTOR && env.DKIM_PRIVATE_KEY_FILE
      ? { domain: env.DKIM_DOMAIN as string, selector: env.DKIM_SELECTOR as string, privateKeyFile: resolve(cwd, env.DKIM_PRIVATE_KEY_FILE as string), algorithm: env.DKIM_ALGORITHM as DkimAlgorithm }
      : undefined,
    from: env.DIGEST_FROM as Mailbox,
    publicationName: env.PUBLICATION_NAME as string,
    postalAddress: env.SENDER_POSTAL_ADDRESS as string,
    publicUrl: env.PUBLIC_URL as string,
    siteUrl: env.SITE_URL as string,
    dataDir: resolve(cwd, env.DATA_DIR as string),
    postsDir: resolve(cwd, env.POSTS_DIR as string),
    templatesDir: resolve(cwd, env.TEMPLATES_DIR as string),
    secret: env.DIGEST_SECRET as string | undefined,
    maxPosts: env.DIGEST_MAX_POSTS as number,
    schedule: env.DIGEST_SCHEDULE as string,
    /** Unset = that cadence is disabled (not offered on the web, not scheduled). */
    dailySchedule: env.DIGEST_DAILY_SCHEDULE as string | undefined,
    monthlySchedule: env.DIGEST_MONTHLY_SCHEDULE as string | undefined,
    timezone: env.DIGEST_TIMEZONE as string,
    /** A tick missed while the process was down is caught up on start only if at most this old. */
    catchUpGraceHours: env.DIGEST_CATCH_UP_GRACE_HOURS as number,
    /** On SIGTERM/SIGINT, exit within this bound even if a delivery hangs. */
    shutdownTimeoutSeconds: env.SHUTDOWN_TIMEOUT_SECONDS as number,
    port: env.PORT as number,
    /** Take the client address for rate limits from X-Forwarded-For (only behind your own proxy). */
    trustProxy: env.TRUST_PROXY === 'true',
    /** Unset: no metrics listener. Set: Prometheus metrics at http://METRICS_HOST:METRICS_PORT/metrics. */
    metricsPort: env.METRICS_PORT as number | undefined,
    metricsHost: env.METRICS_HOST as string,
    sampleSubscribers: resolve(cwd, env.SAMPLE_SUBSCRIBERS as string),
    /** Set: the PostgreSQL store (several machines share it); unset: SQLite in DATA_DIR. */
    databaseUrl: env.DATABASE_URL as string | undefined,
    databasePoolSize: env.DATABASE_POOL_SIZE as number,
    /** Delivery rows a worker claims at a time. */
    claimBatchSize: env.CLAIM_BATCH_SIZE as number,
    workerHeartbeatSeconds: env.WORKER_HEARTBEAT_SECONDS as number,
    /** A worker silent this long (by the database's clock) is dead: its claims are taken back. */
    workerDeadAfterSeconds: env.WORKER_DEAD_AFTER_SECONDS as number,
    /** How often an idle worker looks for work when no notification comes (SQLite: always). */
    workerPollSeconds: env.WORKER_POLL_SECONDS as number,
    /** A Handlebars template for the subject; unset = the default, which never cuts a title. */
    subjectTemplate: env.DIGEST_SUBJECT as string | undefined,
    /** Public pages search engines may index; every other page is always noindex. */
    publicIndexing: env.PUBLIC_INDEXING as IndexablePage[],
    /** From the environment or .env; info when unset. */
    logLevel: (env.LOG_LEVEL ?? 'info') as LogLevel,
    /** Blog feeds read as a second post source (FEEDS and the feeds file); empty: Markdown posts only. */
    feeds: [] as FeedSource[],
    feedsFile: feedsFilePath(env.FEEDS_FILE as string | undefined, env.POSTS_DIR as string, cwd),
    /** Per feed request, body included. */
    feedTimeoutMs: Math.round((env.FEEDS_TIMEOUT_SECONDS as number) * 1000),
    /** A feed larger than this (after decompression) is refused. */
    feedMaxBytes: Math.round((env.FEEDS_MAX_MB as number) * 1024 * 1024),
    bounces: {
      /** Set: every delivery's envelope sender is a signed VERP address at this mailbox's domain. */
      address: env.BOUNCE_ADDRESS as string | undefined,
      smtpPort: env.BOUNCE_SMTP_PORT as number,
      smtpHost: env.BOUNCE_SMTP_HOST as string,
      maxMessageBytes: env.BOUNCE_MAX_MESSAGE_BYTES as number,
      imapUrl: env.BOUNCE_IMAP_URL as string | undefined,
      imapProcessedFolder: env.BOUNCE_IMAP_PROCESSED_FOLDER as string,
      imapPollSeconds: env.BOUNCE_IMAP_POLL_SECONDS as number,
      softLimit: env.BOUNCE_SOFT_LIMIT as number,
      softWindowDays: env.BOUNCE_SOFT_WINDOW_DAYS as number,
      sesTopicArn: env.BOUNCE_SES_TOPIC_ARN as string | undefined,
      postmarkCredentials: env.BOUNCE_POSTMARK_CREDENTIALS as string | undefined,
      mailgunSigningKey: env.BOUNCE_MAILGUN_SIGNING_KEY as string | undefined,
    },
  };
}

/** Variables whose values are never echoed back in an error, even when they are wrong. */
const SECRET_VARIABLES = new Set(['DIGEST_SECRET', 'SMTP_URL', 'DATABASE_URL', 'BOUNCE_IMAP_URL', 'BOUNCE_POSTMARK_CREDENTIALS', 'BOUNCE_MAILGUN_SIGNING_KEY']);

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const merged = { ...readDotEnv(cwd, env), ...env };
  const parsed = schema.safeParse(merged);
  const problems = parsed.success ? [] : describeIssues(parsed.error.issues, merged);
  problems.push(...crossChecks(merged));
  const feeds = readFeedSources(merged, cwd);
  problems.push(...feeds.problems);
  if (!parsed.success || problems.length > 0) throw invalidConfig(problems);
  return { ...toConfig(parsed.data, cwd), feeds: feeds.sources };
}

/** One plain line per variable (the first problem found with it), its value unless secret. */
function describeIssues(issues: z.core.$ZodIssue[], merged: Record<string, string | undefined>): string[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const issue of issues) {
    const name = String(issue.path[0] ?? '(config)');
    if (seen.has(name)) continue;
    seen.add(name);
    const shown = SECRET_VARIABLES.has(name) ? '' : ` (got ${JSON.stringify(merged[name])})`;
    problems.push(`${name} ${plainIssue(issue)}${shown}`);
  }
  return problems;
}

/** zod's generic wording ("expected number, received NaN") turned into what to write instead. */
function plainIssue(issue: z.core.$ZodIssue): string {
  if (!/^(Invalid input|Invalid option|Too small|Too big)\b/.test(issue.message)) return issue.message; // our own wording
  if (issue.code === 'invalid_type' && issue.expected === 'int') return 'must be a whole number, e.g. 5';
  if (issue.code === 'invalid_type' && issue.expected === 'number') return 'must be a number, e.g. 5';
  if (issue.code === 'too_small') return `must be ${issue.inclusive === false ? 'more than' : 'at least'} ${String(issue.minimum)}`;
  if (issue.code === 'too_big') return `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${String(issue.maximum)}`;
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map(String).join(', ')}`;
  return issue.message;
}

/** Rules between variables, checked on the raw values so they are listed with every other problem. */
function crossChecks(merged: Record<string, string | undefined>): string[] {
  const set = (name: string) => (merged[name] ?? '') !== '';
  const problems: string[] = [];
  const dkimSet = ['DKIM_DOMAIN', 'DKIM_SELECTOR', 'DKIM_PRIVATE_KEY_FILE'].filter(set);
  if (dkimSet.length > 0 && dkimSet.length < 3) {
    problems.push(`DKIM signing needs DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY_FILE together (only ${dkimSet.join(', ')} set)`);
  }
  if (set('SMTP_URL') && !set('DIGEST_SECRET')) {
    problems.push('DIGEST_SECRET is required when SMTP_URL is set: links in sent mail must stay valid (try: openssl rand -hex 32)');
  }
  const seconds = (name: string, fallback: number) => (set(name) ? Number(merged[name]) : fallback);
  if (seconds('WORKER_DEAD_AFTER_SECONDS', 30) <= seconds('WORKER_HEARTBEAT_SECONDS', 10)) {
    problems.push('WORKER_DEAD_AFTER_SECONDS must be more than WORKER_HEARTBEAT_SECONDS (three heartbeats is a good margin), or live workers are taken for dead');
  }
  return problems;
}

/** The one error for bad variables: every problem listed, each naming its variable. */
export function invalidConfig(problems: string[]): ConfigError {
  return new ConfigError('CONFIG_INVALID', 'The configuration is invalid; fix these variables in the environment or .env:', { problems });
}

/** `.env` in the working directory, or the file named by DOTENV_FILE. */
export function dotEnvFile(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return resolve(cwd, env.DOTENV_FILE || '.env');
}

/** The variables in the `.env` file; a missing ./.env is fine, a missing DOTENV_FILE is not. */
function readDotEnv(cwd: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const file = dotEnvFile(env, cwd);
  if (!existsSync(file)) {
    if (env.DOTENV_FILE === undefined || env.DOTENV_FILE === '') return {};
    throw new ConfigError('CONFIG_DOTENV', `DOTENV_FILE names ${file}, which does not exist: create it, fix the path, or unset DOTENV_FILE`);
  }
  try {
    return parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch (cause) {
    throw new ConfigError('CONFIG_DOTENV', `${file} could not be read as KEY=value lines`, { cause });
  }
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The cadences readers may choose: weekly always (DIGEST_SCHEDULE has a default), daily and
 * monthly only when their schedule is set. The one rule for the web forms, the preview picker and
 * the subscriber commands.
 */
export function enabledCadences(config: Pick<Config, 'dailySchedule' | 'monthlySchedule'>): Cadence[] {
  return ['weekly', ...(config.dailySchedule ? (['daily'] as const) : []), ...(config.monthlySchedule ? (['monthly'] as const) : [])];
}
