import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ambiguousSixFields, describeCron } from '../../src/schedule/six-fields.js';

function configProblems(env: Record<string, string>): string {
  try {
    loadConfig(env, '/nonexistent');
  } catch (error) {
    return (error as { problems: string[] }).problems.join('\n');
  }
  throw new Error('the configuration was accepted');
}

/** A six-field expression is read seconds-first; one that reads two ways is refused with both meanings. */
describe('six-field cron expressions', () => {
  it('"0 8 * * 1 *" is refused, saying what it would mean and what to write', () => {
    const problem = ambiguousSixFields('0 8 * * 1 *');
    expect(problem).toContain('"every hour at :08, every day in January"');
    expect(problem).toContain('if you meant "at 08:00, on Monday", write the five fields "0 8 * * 1"');
  });

  it('is refused by the configuration, naming the variable', () => {
    expect(configProblems({ DIGEST_SCHEDULE: '0 8 * * 1 *' })).toMatch(/^DIGEST_SCHEDULE has six fields, so it is read with seconds first/);
    expect(configProblems({ DIGEST_MONTHLY_SCHEDULE: '0 0 8 1 * ?' })).toMatch(/^DIGEST_MONTHLY_SCHEDULE has six fields/);
  });

  it('an unambiguous six-field expression (seconds first, a weekday last) is accepted', () => {
    expect(ambiguousSixFields('0 0 8 * * 1')).toBeUndefined();
    expect(loadConfig({ DIGEST_SCHEDULE: '0 0 8 * * 1' }, '/nonexistent').schedule).toBe('0 0 8 * * 1');
  });

  it('five fields are never questioned', () => {
    expect(ambiguousSixFields('0 8 * * *')).toBeUndefined();
  });

  it.each([
    ['0 8 * * 1', 'at 08:00, on Monday'],
    ['30 7 1 * *', 'at 07:30, on day 1 of the month'],
    ['*/30 * * * *', 'every hour at :00, :30, every day'],
    ['0 9 * 6 1-5', 'at 09:00, on Monday, Tuesday, Wednesday, Thursday, Friday in June'],
  ])('"%s" reads as "%s"', (expression, words) => {
    expect(describeCron(expression)).toBe(words);
  });
});
