import type { CommandContext } from './command.js';

/**
 * Lines gathered into chunks of about 64 KB for a command that prints a great many (a list of a
 * million subscribers): one write per chunk instead of one per line, and each chunk printed only
 * once stdout has taken the one before, so a slow reader holds the output back instead of the
 * process buffering all of it. `line` resolves to false once the reader has gone (`| head`).
 */
export function chunkedOutput({ out, drained }: Pick<CommandContext, 'out' | 'drained'>): { line(text: string): Promise<boolean>; end(): void } {
  let chunk: string | undefined;
  return {
    async line(text) {
      if (chunk === undefined) chunk = text;
      else if (chunk.length < 65_536) chunk += `\n${text}`;
      else {
        out(chunk);
        chunk = text;
        return drained();
      }
      return true;
    },
    end() {
      if (chunk !== undefined) out(chunk);
      chunk = undefined;
    },
  };
}
