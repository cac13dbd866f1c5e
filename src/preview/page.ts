import type { PreviewMessage } from '../edition/preview-message.js';
import { SCRIPT, STYLE } from './client.js';
import { html, raw, type SafeHtml } from './html.js';
import type { PageError, PreviewModel } from './model.js';
import { findingsPanel, includedPanel, leftOutPanel, picker, sendTestPanel } from './sections.js';

/** The preview's pages, rendered on the server; `nonce` unlocks the one inline script. */
export interface PageContext {
  token: string;
  nonce: string;
}

export function layout(ctx: PageContext, title: string, body: SafeHtml, options: { live?: boolean } = {}): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="preview-token" content="${ctx.token}">
<title>${title}</title>
<style nonce="${ctx.nonce}">${raw(STYLE)}</style>
</head>
<body data-view="desktop">
<header class="bar"><h1>Digest preview</h1><a href="/">Next edition</a><a href="/editions">Past editions</a>${options.live ? html`<span id="live">connecting…</span>` : ''}</header>
${body}
<script nonce="${ctx.nonce}">${raw(SCRIPT)}</script>
</body>
</html>`.value;
}

export function previewPage(ctx: PageContext, model: PreviewModel): string {
  const message = model.result?.message;
  const body = html`${picker(model)}
<div class="layout">
<main id="app-main" data-live-region>
${errorBox(model.error)}
${message ? messageView(message, model) : model.error ? '' : nothingToSend()}
</main>
<aside>
${sendTestPanel(model)}
<div id="app-side" data-live-region>
${message || model.findings.length > 0 ? findingsPanel(model.findings) : ''}
${message ? includedPanel(message) : ''}
${model.result ? leftOutPanel(model.leftOut) : ''}
</div>
</aside>
</div>`;
  return layout(ctx, message ? `Preview: ${message.subject}` : 'Digest preview', body, { live: true });
}

export function errorBox(error: PageError | undefined): SafeHtml | '' {
  if (!error) return '';
  const problems = error.problems.map((p) => `\n  - ${p}`).join('');
  return html`<div class="error" role="alert" data-testid="render-error"><strong>${error.kind}</strong>: ${error.message}${problems}
<span class="muted">The preview updates as soon as the file is fixed.</span></div>`;
}

function nothingToSend(): SafeHtml {
  return html`<div class="panel" data-testid="nothing"><h2>Nothing to send</h2><p><code>digest send</code> would send nothing right now for this reader: no post is new in their topics. The posts left out, and why, are listed on the right.</p></div>`;
}

function messageView(message: PreviewMessage, model: PreviewModel): SafeHtml {
  const from = model.from;
  const kb = (Buffer.byteLength(message.html) / 1024).toFixed(1);
  return html`<section class="panel" aria-label="Inbox line">
<dl class="inbox" data-testid="inbox">
<dt>From</dt><dd>${from}</dd>
<dt>To</dt><dd>${message.recipient}</dd>
<dt>Subject</dt><dd class="subject" data-testid="subject">${message.subject}</dd>
<dt>Preheader</dt><dd class="preheader" data-testid="preheader">${message.preheader || '(empty)'}</dd>
</dl>
<p class="muted">Edition #${message.number} · ${message.posts.length} post${message.posts.length === 1 ? '' : 's'} · ${kb} KB HTML · ${message.eml.length.toLocaleString('en')} bytes as sent</p>
</section>
<div class="tabs" role="group" aria-label="View">
<button type="button" data-view-button="desktop" aria-pressed="true">Desktop</button>
<button type="button" data-view-button="mobile" aria-pressed="false">Mobile (375 px)</button>
<button type="button" data-view-button="text" aria-pressed="false">Plain text</button>
<button type="button" data-view-button="eml" aria-pressed="false">Raw .eml</button>
<a class="download" href="/message.eml?${queryString(model)}" download>Download .eml</a>
</div>
<div class="stage"><iframe class="email-frame" title="The email as subscribers see it" sandbox="allow-popups allow-popups-to-escape-sandbox" referrerpolicy="no-referrer" srcdoc="${frameDocument(message.html)}"></iframe></div>
<pre class="source text" data-testid="text-part">${message.text}</pre>
<pre class="source eml" data-testid="eml">${message.eml.toString('utf8')}</pre>`;
}

/** The email HTML for the sandboxed iframe: links open in a new tab instead of inside the frame. */
export function frameDocument(emailHtml: string): string {
  return /<head[^>]*>/i.test(emailHtml) ? emailHtml.replace(/<head([^>]*)>/i, '<head$1><base target="_blank">') : `<base target="_blank">${emailHtml}`;
}

function queryString(model: PreviewModel): string {
  const params = new URLSearchParams({ cadence: model.query.cadence });
  if (model.query.subscriber) params.set('subscriber', model.query.subscriber);
  for (const topic of model.query.topics) params.append('topic', topic);
  return params.toString();
}
