/**
 * The error hierarchy. Every error the product raises on purpose is a DigestError with a stable
 * `code` (for scripts and logs) and a message that names what is at fault and how to fix it.
 * Library errors are wrapped at the edge where they happen, so callers never see raw ones.
 */
export interface ErrorDetails {
  /** Extra lines, one per problem, when several things are wrong at once. */
  problems?: string[];
  cause?: unknown;
}

export abstract class DigestError extends Error {
  abstract readonly kind: string;
  readonly problems: string[];

  constructor(
    readonly code: string,
    message: string,
    details: ErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.problems = details.problems ?? [];
  }

  /** The short text the CLI prints: the message, then each problem on its own line. */
  describe(): string {
    return [this.message, ...this.problems.map((p) => `  - ${p}`)].join('\n');
  }
}

export class ConfigError extends DigestError {
  readonly kind = 'ConfigError';
}

export class ContentError extends DigestError {
  readonly kind = 'ContentError';
}

export class TemplateError extends DigestError {
  readonly kind = 'TemplateError';
}

export class DeliveryError extends DigestError {
  readonly kind = 'DeliveryError';
}

export class StoreError extends DigestError {
  readonly kind = 'StoreError';
}

/** What a store failure in the middle of the work leaves, said the same way by both stores. */
export const STORE_STOPPED =
  'The work stopped here: what was recorded is kept, and a message the server may have taken without it being recorded is resent at most once, with the same Message-ID (not at all with UNCERTAIN_RESEND=never).';

export class UsageError extends DigestError {
  readonly kind = 'UsageError';
}

export function isDigestError(error: unknown): error is DigestError {
  return error instanceof DigestError;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
