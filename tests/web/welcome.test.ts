import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runSend } from '../../src/pipeline.js';
import { startWebServer } from '../../src/web/server.js';
import { form, linkIn, startWebHarness, type WebHarness } from './harness.js';

/** After confirming, a reader gets one welcome email with the latest edition's link, from an editable template. */
let h: WebHarness;
afterEach(() => h?.close());

async function signUpAndConfirm(email: string, name: string): Promise<string> {
  await fetch(`${h.url}subscribe`, { method: 'POST', body: form({ email, name }) });
  await h.server.idle();
  const confirm = linkIn((await h.mailTo(email)).parsed.text, `${h.url}confirm/`);
  expect((await fetch(confirm, { method: 'POST' })).status).toBe(200);
  await h.server.idle();
  return confirm;
}

const welcomes = (email: string) => h.smtp.to(email).filter((r) => r.parsed.subject?.startsWith('Welcome'));

describe('the welcome email', () => {
  it('arrives once after confirming, greets by first name and links the latest edition', async () => {
    h = await startWebHarness({}, { signupBurst: 50 });
    await h.app.store.upsertSubscribers([{ email: 'first@example.org', status: 'active' }], new Date(h.clock.now - 60_000));
    const sent = await runSend(h.app, { cadence: 'weekly' });
    const confirm = await signUpAndConfirm('ada@example.org', 'Ada Lovelace');
    const [welcome] = welcomes('ada@example.org');
    expect(welcome?.parsed.subject).toBe('Welcome to International Governments Digest');
    expect(welcome?.parsed.text).toMatch(/^Hi Ada,/);
    expect(welcome?.parsed.text).toContain(`${h.url}archive/${sent.edition!.number}`);
    expect(welcome?.parsed.html).toContain(`href="${h.url}archive/${sent.edition!.number}"`);
    expect(welcome?.parsed.text).toContain(`${h.url}preferences/`);
    // Confirming again changes nothing and sends nothing.
    await fetch(confirm, { method: 'POST' });
    await h.server.idle();
    expect(welcomes('ada@example.org')).toHaveLength(1);
  });

  it('says the first edition is coming when none was sent yet, and follows an edited template', async () => {
    h = await startWebHarness({}, { signupBurst: 50 });
    await signUpAndConfirm('bob@example.org', '');
    expect(welcomes('bob@example.org')[0]?.parsed.text).toContain(`The first edition is on its way once there are new posts. Past editions will be here:\n\n${h.url}archive`);
    // Templates are read when a server starts: an edited one is used by the next.
    writeFileSync(join(h.ws.dir, 'templates/web/email/welcome.txt.hbs'), 'Subject: Glad you are here\n{{greeting}} Past editions: {{archiveUrl}}\n');
    await h.server.close();
    h.server = await startWebServer(h.app, Number(new URL(h.url).port), { hostname: '127.0.0.1', signupBurst: 50 });
    await signUpAndConfirm('cy@example.org', 'Cy');
    const [welcome] = h.smtp.to('cy@example.org').filter((r) => r.parsed.subject === 'Glad you are here');
    expect(welcome?.parsed.text?.trim()).toBe(`Hi Cy, Past editions: ${h.url}archive`);
  });
});
