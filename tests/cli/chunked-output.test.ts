import { expect, it } from 'vitest';
import { chunkedOutput } from '../../src/cli/chunked-output.js';

it('prints the lines in chunks of about 64 KB, whole lines only, waiting for each chunk to be taken', async () => {
  const printed: string[] = [];
  const waits: number[] = [];
  const output = chunkedOutput({ out: (chunk) => printed.push(chunk), drained: async () => waits.push(printed.length) > 0 });
  const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${'x'.repeat(i % 50)}`);
  for (const line of lines) await output.line(line);
  output.end();
  expect(printed.join('\n').split('\n')).toEqual(lines);
  expect(printed.length).toBeGreaterThan(5);
  for (const chunk of printed) expect(chunk.length).toBeLessThan(65_536 + 100);
  // A wait after every chunk but the last, each right after that chunk was printed.
  expect(waits).toEqual(printed.slice(0, -1).map((_, i) => i + 1));
});

it('prints nothing for no lines, and one line as it is', async () => {
  const printed: string[] = [];
  const none = chunkedOutput({ out: (chunk) => printed.push(chunk), drained: async () => true });
  none.end();
  expect(printed).toEqual([]);
  const one = chunkedOutput({ out: (chunk) => printed.push(chunk), drained: async () => true });
  await one.line('0 subscribers');
  one.end();
  expect(printed).toEqual(['0 subscribers']);
});

it('tells the command to stop once the reader has gone', async () => {
  const printed: string[] = [];
  const output = chunkedOutput({ out: (chunk) => printed.push(chunk), drained: async () => printed.length < 2 });
  let lines = 0;
  while (await output.line(`line ${lines} ${'x'.repeat(100)}`)) lines += 1;
  // The second chunk found nobody reading: no further line is asked for.
  expect(printed).toHaveLength(2);
  expect(lines).toBe(printed.join('\n').split('\n').length);
});
