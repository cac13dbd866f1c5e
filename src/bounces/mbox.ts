/**
 * An mbox (messages each starting with a "From " line) or a single .eml, as exported by hand from
 * a mail client. mboxrd quoting (">From " in a body) is undone.
 */
export function splitMailFile(content: Buffer): Buffer[] {
  if (content.subarray(0, 5).toString('latin1') !== 'From ') return content.length > 0 ? [content] : [];
  const text = content.toString('latin1');
  const starts = [...text.matchAll(/(?:^|\n)From [^\n]*\n/g)].map((m) => ({ at: m.index + (m[0].startsWith('\n') ? 1 : 0), body: m.index + m[0].length }));
  return starts.map((start, i) => {
    const end = starts[i + 1]?.at ?? text.length;
    const message = text.slice(start.body, end).replace(/\n$/, '').replace(/^>(>*From )/gm, '$1');
    return Buffer.from(message, 'latin1');
  });
}
