import { NOTE_FILE } from '../edition/note.js';
import type { PreviewMessage } from '../edition/preview-message.js';
import { html, type SafeHtml } from './html.js';
import type { LeftOutItem, PreviewModel } from './model.js';
import type { PreflightFinding } from './preflight.js';

/** The parts of the preview page around the email itself. */
export function picker(model: PreviewModel): SafeHtml {
  const { query } = model;
  const topics = [...new Set([...model.topics, ...query.topics])];
  return html`<form class="picker" method="get" action="/" data-testid="picker">
<label>Cadence<select name="cadence">${model.cadences.map((c) => html`<option value="${c}"${c === query.cadence ? html` selected` : ''}>${c}</option>`)}</select></label>
<label>Subscriber<input name="subscriber" list="subscriber-list" value="${query.subscriber}" placeholder="sample reader, all topics" size="28" autocomplete="off"></label>
<datalist id="subscriber-list">${model.subscribers.map((s) => html`<option value="${s.email}">${s.name}${s.categories.length ? ` (${s.categories.join(', ')})` : ''}</option>`)}</datalist>
<fieldset><legend>Topic segment (none ticked: the subscriber's own topics, or all)</legend>
${topics.map((t) => html`<label class="topic"><input type="checkbox" name="topic" value="${t}"${query.topics.includes(t) ? html` checked` : ''}> ${t}</label>`)}
</fieldset>
<button type="submit">Preview</button>
</form>`;
}

export function findingsPanel(findings: PreflightFinding[]): SafeHtml {
  const warnings = findings.filter((f) => f.level === 'warning').length;
  return html`<section class="panel" data-testid="preflight"><h2>Preflight: ${warnings === 0 ? 'no warnings' : `${warnings} warning${warnings === 1 ? '' : 's'}`}</h2>
<ul class="findings">${findings.map((f) => html`<li class="${f.level}" data-check="${f.check}">${f.message}</li>`)}</ul></section>`;
}

export function includedPanel(message: PreviewMessage): SafeHtml {
  return html`<section class="panel" data-testid="included"><h2>Included (${message.posts.length})</h2>
${message.note ? html`<p data-testid="note"><strong>Editor's note</strong> <span class="file">${NOTE_FILE}</span>: goes with this edition, then never again.</p>` : ''}
<ul class="posts">${message.posts.map((p) => html`<li><span class="title">${p.title}</span> <span class="file">${p.file}</span></li>`)}</ul></section>`;
}

export function leftOutPanel(items: LeftOutItem[]): SafeHtml {
  return html`<section class="panel" data-testid="left-out"><h2>Left out (${items.length})</h2>
${items.length === 0 ? html`<p class="muted">Nothing: every post is in this edition.</p>` : ''}
<ul class="posts">${items.map((i) => html`<li data-kind="${i.kind}"><span class="title">${i.title}</span> <span class="file">${i.kind === 'invalid' ? '' : i.file}</span><span class="reason">${i.reason}</span></li>`)}</ul></section>`;
}

/** Outside the live regions, so a live reload never clears the address being typed. */
export function sendTestPanel(model: PreviewModel): SafeHtml {
  const { query } = model;
  return html`<section class="panel"><h2>Send a test</h2>
<form id="send-test" method="post" action="/send-test">
<input type="hidden" name="cadence" value="${query.cadence}"><input type="hidden" name="subscriber" value="${query.subscriber}">
${query.topics.map((t) => html`<input type="hidden" name="topic" value="${t}">`)}
<label>To <input type="email" name="to" required placeholder="you@example.org" autocomplete="email"></label>
<button type="submit">Send a test</button>
<p class="muted">Through the configured transport, subject starting with [TEST]; not recorded as a delivery.</p>
<div id="send-status" role="status" aria-live="polite"></div>
</form></section>`;
}
