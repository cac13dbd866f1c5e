import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { ConfigError } from '../../src/errors.js';

const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig({ DOTENV_FILE: '', ...env }, '/nonexistent-dir');
  } catch (error) {
    return (error as ConfigError).problems;
  }
  return [];
};

describe('bounce settings', () => {
  it('are off by default, with the documented defaults', () => {
    const { bounces } = loadConfig({}, '/nonexistent-dir');
    expect(bounces).toEqual({
      address: undefined, smtpPort: 2525, smtpHost: '127.0.0.1', maxMessageBytes: 10_000_000, imapUrl: undefined, imapProcessedFolder: 'Processed',
      imapPollSeconds: 60, softLimit: 3, softWindowDays: 30, sesTopicArn: undefined, postmarkCredentials: undefined, mailgunSigningKey: undefined,
    });
  });

  it('lists every bad value at once, by name, without echoing secrets', () => {
    const found = problems({
      BOUNCE_ADDRESS: 'bounces+x@example.org',
      BOUNCE_IMAP_URL: 'http://user:hunter2-secret@mail.example.org/',
      BOUNCE_SES_TOPIC_ARN: 'topic',
      BOUNCE_POSTMARK_CREDENTIALS: 'short',
      BOUNCE_SOFT_LIMIT: '0',
    });
    expect(found.map((p) => p.split(' ')[0])).toEqual(['BOUNCE_ADDRESS', 'BOUNCE_IMAP_URL', 'BOUNCE_SOFT_LIMIT', 'BOUNCE_SES_TOPIC_ARN', 'BOUNCE_POSTMARK_CREDENTIALS']);
    expect(found.join('\n')).toContain('must not contain "+"');
    expect(found.join('\n')).not.toContain('hunter2');
    expect(found.join('\n')).not.toContain('short');
  });

  it('a bare, lower-cased bounce address is kept', () => {
    expect(loadConfig({ BOUNCE_ADDRESS: 'Bounces@Example.ORG' }, '/nonexistent-dir').bounces.address).toBe('bounces@example.org');
  });
});
