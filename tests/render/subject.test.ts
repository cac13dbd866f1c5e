import { describe, expect, it } from 'vitest';
import { compileSubject, renderSubject, SUBJECT_LENGTH, type SubjectData } from '../../src/render/subject.js';

const data = (title: string, postCount: number): SubjectData => ({
  publication: { name: 'International Governments Digest' },
  edition: { number: 3, cadence: 'weekly', cadenceLabel: 'Weekly', dateLabel: '1 June 2026' },
  lead: { title, author: 'A. Writer' },
  postCount,
  moreCount: postCount - 1,
  topics: ['Trade', 'Diplomacy'],
});

describe('the subject line', () => {
  it('is "Weekly digest #n: <newest title> and N more" when that fits', () => {
    expect(renderSubject(undefined, data('Trade reopened', 4))).toBe('Weekly digest #3: Trade reopened and 3 more');
    expect(renderSubject(undefined, data('Trade reopened', 1))).toBe('Weekly digest #3: Trade reopened');
  });

  it('never cuts a title: it drops the edition label, then the count, keeping the title whole', () => {
    const title = 'Why the North Korea–China trade increase could be an illusion';
    expect(renderSubject(undefined, data(title, 10))).toBe(`${title}, and 9 more`);
    const long = 'What upgrades of North Korea’s surveillance equipment say about policies and priorities';
    expect(renderSubject(undefined, data(long, 1))).toBe(long);
    for (const count of [1, 2, 10, 100]) {
      for (const t of [title, long, 'Short', `${'word '.repeat(30)}end`]) {
        const subject = renderSubject(undefined, data(t, count));
        expect(subject.includes('…')).toBe(false);
        if ([...subject].length > SUBJECT_LENGTH) expect(subject).toBe(t.trim());
        if ([...t].length <= SUBJECT_LENGTH) expect(subject).toContain(t.trim());
      }
    }
  });

  it('past 120 characters, a title gives way to a count rather than being cut', () => {
    const huge = '📰'.repeat(300);
    expect(renderSubject(undefined, data(huge, 1))).toBe('Weekly digest #3: one new post');
    expect(renderSubject(undefined, data(huge, 5))).toBe('Weekly digest #3: 5 new posts');
  });

  it('follows DIGEST_SUBJECT as written, flattened to one line of text', () => {
    const subject = renderSubject('{{publication.name}} · {{edition.dateLabel}}: {{lead.title}} (+{{moreCount}}) {{#each topics}}#{{this}} {{/each}}', data('A <b>bold</b>\nmove', 3));
    expect(subject).toBe('International Governments Digest · 1 June 2026: A bold move (+2) #Trade #Diplomacy');
  });

  it('refuses a broken template or a misspelt variable with a message that says so', () => {
    expect(() => compileSubject('{{#if lead}}no end')).toThrow(/not a valid subject template: Parse error/);
    expect(() => compileSubject('{{lead.titel}}')).toThrow(/"titel" not defined/);
    expect(() => compileSubject('{{lead.title}} and {{moreCount}} more')).not.toThrow();
  });
});
