/**
 * js-yaml's reasons ("deficient indentation", "unexpected end of the stream within a flow
 * collection") describe the parser's state, often lines after the mistake. An editor needs the line
 * they wrote wrong and what to type instead, so the front matter is scanned for the usual
 * mistakes first, up to the line the parser stopped at; the parser's reason is the fallback.
 */
export interface YamlProblem {
  /** 0-based line within the YAML text. */
  index: number;
  message: string;
}

type LineCheck = (value: string, key: string) => string | undefined;

/** Checks on the value of one `key: value` line, in order; the first that matches explains it. */
const VALUE_CHECKS: LineCheck[] = [
  (value, key) => (unclosed(value, '[', ']') ? `the list opened with "[" is never closed: end it on the same line with "]", e.g. ${key}: ["Trade", "Diplomacy"]` : undefined),
  (value, key) => (unclosed(value, '{', '}') ? `the "{" is never closed: end it with "}" or, for text, put the value in quotes, e.g. ${key}: "…"` : undefined),
  (value) => (/^"/.test(value) && !/^"(?:[^"\\]|\\.)*"\s*(#.*)?$/.test(value) ? 'the text in double quotes is never closed, or has a stray " inside: end it with " and write \\" for a quote inside it' : undefined),
  (value) => (/^'/.test(value) && !/^'(?:[^']|'')*'\s*(#.*)?$/.test(value) ? `the text in single quotes is never closed, or has an apostrophe inside: double it ('it''s') or use double quotes ("it's")` : undefined),
  (value, key) => (/^[^"'[{].*:\s/.test(value) ? `the value contains ": ", which YAML reads as another field: put the whole value in quotes, e.g. ${key}: "${value.replace(/"/g, '\\"')}"` : undefined),
  (value, key) => (/^[@`%*&!|>]/.test(value) && !/^[|>][-+]?\s*$/.test(value) ? `a value cannot start with "${value[0] ?? ''}" unquoted: put it in quotes, e.g. ${key}: "${value.replace(/"/g, '\\"')}"` : undefined),
];

export function explainYamlError(yamlText: string, error: { reason?: string; mark?: { line?: number } }): YamlProblem {
  const lines = yamlText.split('\n');
  const stoppedAt = Math.min(error.mark?.line ?? lines.length - 1, lines.length - 1);
  const seen = new Map<string, number>();
  for (let index = 0; index <= stoppedAt; index += 1) {
    const found = explainLine(lines[index] ?? '', seen, index);
    if (found) return { index, message: found };
  }
  return { index: stoppedAt, message: fromReason(error.reason ?? '', lines[stoppedAt] ?? '') };
}

function explainLine(line: string, seen: Map<string, number>, index: number): string | undefined {
  const fileLine = (i: number) => i + 2; // the opening --- is line 1
  if (/^\s*\t/.test(line)) return 'this line is indented with a tab: YAML needs spaces';
  const field = /^([A-Za-z_][\w-]*)\s*:(?:\s+(.*?))?\s*$/.exec(line);
  if (!field) return undefined;
  const key = field[1] ?? '';
  const first = seen.get(key);
  if (first !== undefined) return `the field "${key}" appears twice (also on line ${fileLine(first)}): keep one`;
  seen.set(key, index);
  const value = field[2] ?? '';
  for (const check of VALUE_CHECKS) {
    const message = check(value, key);
    if (message) return message;
  }
  return undefined;
}

function fromReason(reason: string, line: string): string {
  if (/indentation/.test(reason) && /^\s+\S/.test(line)) return 'this line is indented, so it is read as part of the field above: start it at the beginning of the line, or indent list items with "- "';
  if (/unknown escape/.test(reason)) return 'a backslash in double quotes starts an escape it does not know: write \\\\ for a backslash, or use single quotes';
  if (/duplicated mapping key/.test(reason)) return 'a field appears twice: keep one';
  if (/end of the stream|document separator/.test(reason)) return 'this line is not a "field: value" line: check it is not a list item ("- …") without a field above, and that it has a colon';
  if (/flow collection/.test(reason)) return 'a list "[" or "{" is never closed: end it with "]" or "}"';
  return `this line is not valid YAML (${reason}): write fields as "name: value", and put values with special characters in quotes`;
}

/** True when `open` occurs more often than `close` outside quotes. */
function unclosed(value: string, open: string, close: string): boolean {
  if (!value.startsWith(open)) return false;
  let depth = 0;
  let quote = '';
  for (const char of value) {
    if (quote) {
      if (char === quote) quote = '';
    } else if (char === '"' || char === "'") quote = char;
    else if (char === open) depth += 1;
    else if (char === close) depth -= 1;
  }
  return depth > 0;
}
