/**
 * One redrawable line at the bottom of a terminal (the send's progress bar). A log line written
 * while it shows would be glued onto it ("…ETA 0s! delivery.deferred …"), so log lines go through
 * `writeAbove`: the bar is cleared, the line written, and the bar drawn again below it.
 */
export type Stream = Pick<NodeJS.WritableStream, 'write'>;

const CLEAR = '\r\x1b[K';
const shown = new WeakMap<Stream, string>();

export function drawLiveLine(stream: Stream, text: string): void {
  shown.set(stream, text);
  stream.write(`${CLEAR}${text}`);
}

/** Draws the line a last time and leaves it in the scrollback; later writes start below it. */
export function finishLiveLine(stream: Stream, text: string): void {
  shown.delete(stream);
  stream.write(`${CLEAR}${text}\n`);
}

/** `line` must end in a newline. */
export function writeAbove(stream: Stream, line: string): void {
  const live = shown.get(stream);
  stream.write(live === undefined ? line : `${CLEAR}${line}${live}`);
}
