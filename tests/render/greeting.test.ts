import { describe, expect, it } from 'vitest';
import { greetingFor } from '../../src/render/personal.js';

describe('the greeting', () => {
  it('uses the first name, skipping a title before it', () => {
    expect(greetingFor('Ada Lovelace')).toBe('Hi Ada,');
    expect(greetingFor('  José   Müller ')).toBe('Hi José,');
    expect(greetingFor('Dr. Jane Doe')).toBe('Hi Jane,');
    expect(greetingFor('王美')).toBe('Hi 王美,');
  });

  it('falls back to "Hello," without a usable name, and stays on one line', () => {
    for (const name of ['', '   ', null, undefined, 'ada@example.org']) expect(greetingFor(name)).toBe('Hello,');
    expect(greetingFor('Ada\r\nBcc: x@example.org')).toBe('Hi Ada,');
  });
});
