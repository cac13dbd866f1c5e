import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configVariables } from '../src/config.js';
import { REPO } from './support/workspace.js';

/**
 * The zod schema (src/config.ts), .env.example and docs/configuration.md list the same variables
 * with the same defaults. A failure lists one line per drift, naming the variable, where it is
 * missing or different, and what to write — so adding a variable means following those lines.
 */
const DOCS = 'docs/configuration.md';
const EXAMPLE = '.env.example';

/** `VAR=value` and `# VAR=value` lines of .env.example (quotes removed). */
function exampleValues(): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of readFileSync(join(REPO, EXAMPLE), 'utf8').split('\n')) {
    const match = /^#?\s*([A-Z][A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match && !values.has(match[1]!)) values.set(match[1]!, match[2]!.trim().replace(/^"(.*)"$/, '$1'));
  }
  return values;
}

/** Table rows of the reference: "| `A`, `B` | default | meaning |" → each variable with its default cell. */
function documentedDefaults(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of readFileSync(join(REPO, DOCS), 'utf8').split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    if (cells.length < 4 || !cells[1]?.startsWith('`')) continue;
    for (const name of cells[1].match(/`([A-Z][A-Z0-9_]+)`/g) ?? []) rows.set(name.replaceAll('`', ''), cells[2] ?? '');
  }
  return rows;
}

function configDrift(): string[] {
  const schema = configVariables();
  const example = exampleValues();
  const docs = documentedDefaults();
  const problems: string[] = [];
  for (const { name, defaultValue } of schema) {
    if (!example.has(name)) problems.push(`${name}: missing from ${EXAMPLE} — add "${name}=${defaultValue ?? ''}" (commented out with "# " if it is optional)`);
    else if (defaultValue !== undefined && example.get(name) !== defaultValue) problems.push(`${name}: ${EXAMPLE} has "${example.get(name)}" but the schema's default is "${defaultValue}"`);
    if (!docs.has(name)) problems.push(`${name}: missing from the table in ${DOCS} — add "| \`${name}\` | ${defaultValue === undefined ? 'unset' : `\`${defaultValue}\``} | what it does |"`);
    else if (defaultValue !== undefined && !docs.get(name)!.includes(defaultValue)) problems.push(`${name}: ${DOCS} gives the default as "${docs.get(name)}" but the schema's default is "${defaultValue}"`);
  }
  const known = new Set(schema.map((v) => v.name));
  for (const name of example.keys()) if (!known.has(name)) problems.push(`${name}: in ${EXAMPLE} but not in the schema in src/config.ts — add it there or remove the line`);
  for (const name of docs.keys()) if (!known.has(name)) problems.push(`${name}: in ${DOCS} but not in the schema in src/config.ts — add it there or remove the row`);
  return problems;
}

describe('the configuration reference', () => {
  it('schema, .env.example and docs/configuration.md agree on every variable and default', () => {
    expect(configDrift()).toEqual([]);
  });

  it('finds real variables in all three (the check can fail)', () => {
    expect(configVariables().map((v) => v.name)).toContain('SMTP_URL');
    expect(exampleValues().get('PORT')).toBe('3000');
    expect(documentedDefaults().get('PORT')).toBe('3000');
  });
});
