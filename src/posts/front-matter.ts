import * as yaml from 'js-yaml';
import { explainYamlError } from './yaml-errors.js';

/**
 * Splits a post file into YAML front matter and Markdown body. Only YAML is accepted: other
 * front-matter engines (`---js`, `---json`, `---coffee`) evaluate code, so they are refused outright.
 */
export type SplitResult =
  | { ok: true; data: Record<string, unknown>; keyLines: Map<string, number>; body: string; bodyLine: number }
  | { ok: false; line: number; message: string };

const FENCE = '---';

export function splitFrontMatter(source: string): SplitResult {
  const text = source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const firstLine = text.slice(0, text.indexOf('\n') === -1 ? text.length : text.indexOf('\n'));
  if (firstLine.trimEnd() !== FENCE) {
    if (firstLine.startsWith(FENCE)) {
      return { ok: false, line: 1, message: `front matter must be YAML: "${firstLine.slice(0, 20)}" is not supported; start the file with a line "---"` };
    }
    return { ok: false, line: 1, message: 'the file must start with YAML front matter: a line "---", the fields, then a closing "---"' };
  }
  const close = /\n---[ \t]*(?:\n|$)/.exec(text.slice(firstLine.length));
  if (!close) return { ok: false, line: 1, message: 'the front matter opened on line 1 is never closed: add a line "---" after the fields' };
  const yamlText = text.slice(firstLine.length + 1, firstLine.length + close.index);
  const parsed = parseYaml(yamlText);
  if (!parsed.ok) return parsed;
  const bodyStart = firstLine.length + close.index + close[0].length;
  const bodyLine = text.slice(0, bodyStart).split('\n').length;
  return { ok: true, data: parsed.data, keyLines: findKeyLines(yamlText), body: text.slice(bodyStart), bodyLine };
}

function parseYaml(yamlText: string): { ok: true; data: Record<string, unknown> } | { ok: false; line: number; message: string } {
  try {
    // JSON_SCHEMA: no custom tags, no timestamps turned into Dates, no merge keys applied.
    const data: unknown = yaml.load(yamlText, { schema: yaml.JSON_SCHEMA });
    if (data === null || data === undefined) return { ok: true, data: {} };
    if (typeof data !== 'object' || Array.isArray(data)) {
      return { ok: false, line: 2, message: 'the front matter must be a list of "field: value" lines' };
    }
    return { ok: true, data: data as Record<string, unknown> };
  } catch (error) {
    const { index, message } = explainYamlError(yamlText, error as { reason?: string; mark?: { line?: number } });
    // +2: the opening fence is line 1 and lines are counted from 0.
    return { ok: false, line: index + 2, message: `front matter: ${message}` };
  }
}

/** Line number (in the whole file) of each top-level key, so validation errors point at it. */
function findKeyLines(yamlText: string): Map<string, number> {
  const lines = new Map<string, number>();
  yamlText.split('\n').forEach((line, index) => {
    const key = /^([A-Za-z_][\w-]*)\s*:/.exec(line)?.[1];
    if (key && !lines.has(key)) lines.set(key, index + 2);
  });
  return lines;
}
