import pino from 'pino';
import { writeAbove, type Stream } from './terminal-line.js';
import { terminalSafe } from './text.js';

/**
 * Structured logging with stable event names ("send.started", "delivery.deferred", …). Not on a
 * TTY: one JSON object per line on stderr, for log collectors. On a TTY: a short readable line.
 */
export interface Logger {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

export const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The level comes from the validated config (LOG_LEVEL in the environment or .env), info by default. */
export function createLogger(options: { level?: LogLevel; pretty?: boolean; stream?: Stream } = {}): Logger {
  const level = options.level ?? 'info';
  if (level === 'silent') return silentLogger;
  if (options.pretty ?? process.stderr.isTTY) return readableLogger(level, options.stream ?? process.stderr);
  const base = pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd: 2, sync: true }));
  return {
    info: (event, fields) => base.info({ event, ...fields }),
    warn: (event, fields) => base.warn({ event, ...fields }),
    error: (event, fields) => base.error({ event, ...fields }),
  };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

function readableLogger(level: string, stream: Stream): Logger {
  const quietInfo = level === 'warn' || level === 'error';
  const line = (tag: string, event: string, fields?: Record<string, unknown>) => {
    const details = Object.entries(fields ?? {})
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
      .join(' ');
    writeAbove(stream, `${tag} ${event}${details ? ` ${terminalSafe(details)}` : ''}\n`);
  };
  return {
    info: (event, fields) => quietInfo || line('·', event, fields),
    warn: (event, fields) => line('!', event, fields),
    error: (event, fields) => line('✗', event, fields),
  };
}

/** The same logger with fields added to every line (e.g. `dryRun: true` on every event of a dry run). */
export function withFields(logger: Logger, extra: Record<string, unknown>): Logger {
  return {
    info: (event, fields) => logger.info(event, { ...fields, ...extra }),
    warn: (event, fields) => logger.warn(event, { ...fields, ...extra }),
    error: (event, fields) => logger.error(event, { ...fields, ...extra }),
  };
}
