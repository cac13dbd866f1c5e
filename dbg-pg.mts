import setup from './tests/support/postgres-setup.ts';
let url = '';
const stop = await setup({ provide: (_k: string, v: string) => (url = v) } as never);
console.log(url);
process.on('SIGTERM', async () => { await stop(); process.exit(0); });
setInterval(() => undefined, 1 << 30);
