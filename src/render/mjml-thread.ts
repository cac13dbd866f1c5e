import { Worker } from 'node:worker_threads';
import { inThreadMjml, mjmlError, type MjmlCompiler, type MjmlOutput } from './mjml.js';
import type { MjmlReply } from './mjml-worker.js';

/**
 * MJML compiled in a worker thread, started as early as a command can (`digest send` does it
 * before reading its configuration): importing mjml costs about half a second of CPU, which the
 * worker spends on the other core while the main thread does everything else an edition needs.
 * Should the worker fail (it cannot start, or it dies), compiling carries on in this thread: the
 * output is the same, only the overlap is lost. `workerFile` names another build of the worker
 * than the one beside this module (the tests run the bundled one too).
 */
export function startMjmlWorker(workerFile?: URL): MjmlCompiler {
  const fallback = inThreadMjml();
  const pending = new Map<number, { resolve: (output: MjmlOutput) => void; reject: (error: unknown) => void; source: string }>();
  let nextId = 0;
  let worker: Worker | undefined = spawn(workerFile);
  if (worker) {
    worker.on('message', (reply: MjmlReply) => {
      const request = pending.get(reply.id);
      pending.delete(reply.id);
      if (!request) return;
      if ('error' in reply) request.reject(mjmlError(new Error(reply.error)));
      else request.resolve({ html: reply.html, warnings: reply.warnings });
      if (pending.size === 0) worker?.unref();
    });
    // Whatever was still waiting is compiled here instead.
    const lost = () => {
      worker = undefined;
      for (const [id, request] of pending) {
        pending.delete(id);
        fallback.compile(request.source).then(request.resolve, request.reject);
      }
    };
    worker.on('error', lost);
    worker.on('exit', lost);
  }
  return {
    compile(source) {
      if (!worker) return fallback.compile(source);
      const id = (nextId += 1);
      const answer = new Promise<MjmlOutput>((resolve, reject) => pending.set(id, { resolve, reject, source }));
      // Held while a compile is awaited (so the process waits for it), released after.
      worker.ref();
      worker.postMessage({ id, source });
      return answer;
    },
    get inWorker() {
      return worker !== undefined;
    },
    async close() {
      const running = worker;
      worker = undefined;
      await running?.terminate();
    },
  };
}

/**
 * The worker is the compiled mjml-worker.js beside this file (in the bundle, the bundled one), or
 * the one named. Run from the TypeScript sources (the in-process tests) there is none, and
 * compiling stays in this thread: those tests share one loaded mjml, and the worker itself is
 * tested as it ships, compiled (tests/render/mjml-worker.test.ts).
 */
function spawn(workerFile = import.meta.url.endsWith('.js') ? new URL('./mjml-worker.js', import.meta.url) : undefined): Worker | undefined {
  if (!workerFile) return undefined;
  try {
    const worker = new Worker(workerFile);
    // Never what keeps the process alive: a command that ends without rendering just exits.
    worker.unref();
    return worker;
  } catch {
    return undefined;
  }
}
