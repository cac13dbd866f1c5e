/**
 * Server-Sent Events to every open preview page: "change" after the watched files changed, so
 * pages re-fetch themselves. A comment line every 15 s keeps idle connections open.
 */
export interface EventHub {
  response(): Response;
  broadcast(event: string, data: string): void;
  /** How many pages are listening. */
  size(): number;
  close(): void;
}

const encoder = new TextEncoder();
const KEEPALIVE_MS = 15_000;

export function eventHub(): EventHub {
  const clients = new Set<ReadableStreamDefaultController<Uint8Array>>();
  const send = (chunk: string) => {
    for (const client of clients) {
      try {
        client.enqueue(encoder.encode(chunk));
      } catch {
        clients.delete(client);
      }
    }
  };
  const keepalive = setInterval(() => send(': keep-alive\n\n'), KEEPALIVE_MS);
  keepalive.unref();
  return {
    response() {
      let self: ReadableStreamDefaultController<Uint8Array> | undefined;
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          self = controller;
          clients.add(controller);
          controller.enqueue(encoder.encode('retry: 1000\n\n'));
        },
        cancel() {
          if (self) clients.delete(self);
        },
      });
      return new Response(stream, { headers: { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' } });
    },
    broadcast(event, data) {
      send(`event: ${event}\ndata: ${data.replace(/[\r\n]+/g, ' ')}\n\n`);
    },
    size: () => clients.size,
    close() {
      clearInterval(keepalive);
      for (const client of clients) {
        try {
          client.close();
        } catch {
          // already closed by the browser
        }
      }
      clients.clear();
    },
  };
}
