/**
 * The "Name: value" field blocks that DSNs (RFC 3464), feedback reports (RFC 5965) and embedded
 * header sections are made of: unfolded, names lower-cased, blocks split at blank lines.
 */
export type Fields = Map<string, string>;

export function fieldBlocks(text: string): Fields[] {
  return text
    .replace(/\r\n/g, '\n')
    .split(/\n[ \t]*\n/)
    .map(parseFields)
    .filter((block) => block.size > 0);
}

/** One block; a repeated field keeps its first value (the one nearest the top). */
export function parseFields(block: string): Fields {
  const fields: Fields = new Map();
  const unfolded = block.replace(/\r\n/g, '\n').replace(/\n[ \t]+/g, ' ');
  for (const line of unfolded.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!/^[a-z0-9-]+$/.test(name) || fields.has(name)) continue;
    fields.set(name, line.slice(colon + 1).trim());
  }
  return fields;
}

/** The header section of an embedded message (everything before its first blank line). */
export function headerSection(message: string): Fields {
  const end = message.search(/\r?\n\r?\n/);
  return parseFields(end === -1 ? message : message.slice(0, end));
}

/** `rfc822; user@example.org` → `user@example.org` (the address-type prefix dropped). */
export function typedValue(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const semicolon = value.indexOf(';');
  return (semicolon === -1 ? value : value.slice(semicolon + 1)).trim().replace(/^<|>$/g, '') || undefined;
}

/** The first enhanced status code (RFC 3463: class.subject.detail) in a text. */
export function enhancedStatus(text: string): string | undefined {
  return /(?<![\d.])([245]\.\d{1,3}\.\d{1,3})(?![\d.])/.exec(text)?.[1];
}

/** Keeps a raw reason readable and bounded: one line, at most 500 characters. */
export function clip(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 500);
}
