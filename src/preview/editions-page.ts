import { percent, type EditionBounceStats } from '../bounces/stats.js';
import type { Edition } from '../store/store.js';
import { fillTokens, publicCopyValues } from '../render/personal.js';
import { html } from './html.js';
import { errorBox, frameDocument, layout, type PageContext } from './page.js';
import type { PageError } from './model.js';

/** Past editions as they were sent: the stored all-topics rendering, personal parts neutral. */
export function editionsPage(ctx: PageContext, editions: Edition[], error: PageError | undefined, bounces: EditionBounceStats[] = []): string {
  const rows = editions.map((e) => {
    const b = bounces.find((s) => s.edition === e.number);
    return html`<tr><td><a href="/editions/${e.number}">#${e.number}</a></td><td>${e.cadence}</td><td>${e.createdAt.toISOString().slice(0, 16).replace('T', ' ')} UTC</td><td><a href="/editions/${e.number}">${e.subject}</a></td><td>${e.posts.length}</td><td>${e.status === 'complete' ? 'sent' : 'sending'}</td>${bounceCells(b)}</tr>`;
  });
  const body = html`<div class="layout" style="grid-template-columns:1fr"><main>
${errorBox(error)}
<section class="panel"><h2>Past editions (${editions.length})</h2>
${editions.length === 0 ? html`<p class="muted" data-testid="no-editions">No edition has been sent yet.</p>` : html`<table class="editions" data-testid="editions"><thead><tr><th>Edition</th><th>Cadence</th><th>Created</th><th>Subject</th><th>Posts</th><th>Status</th><th>Sent</th><th>Bounces (hard/soft)</th><th>Complaints</th></tr></thead><tbody>${rows}</tbody></table>`}
</section></main></div>`;
  return layout(ctx, 'Past editions', body);
}

function bounceCells(b: EditionBounceStats | undefined) {
  if (!b) return html`<td>–</td><td>–</td><td>–</td>`;
  return html`<td>${b.sent}</td><td data-testid="bounces-${b.edition}">${b.hard + b.soft} (${b.hard}/${b.soft}) · ${percent(b.bounceRate)}</td><td data-testid="complaints-${b.edition}">${b.complaints} · ${percent(b.complaintRate)}</td>`;
}

export function editionPage(ctx: PageContext, edition: Edition, publicUrl: string): string {
  const values = publicCopyValues(publicUrl);
  const body = html`<div class="layout"><main>
<section class="panel"><dl class="inbox"><dt>Edition</dt><dd>#${edition.number} (${edition.cadence}), created ${edition.createdAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${edition.status === 'complete' ? 'sent' : 'still sending'}</dd>
<dt>Subject</dt><dd class="subject" data-testid="subject">${edition.subject}</dd></dl>
<p class="muted">As sent to all-topics subscribers; personal parts (greeting, address, links) shown with neutral values.</p></section>
<div class="tabs" role="group" aria-label="View">
<button type="button" data-view-button="desktop" aria-pressed="true">Desktop</button>
<button type="button" data-view-button="mobile" aria-pressed="false">Mobile (375 px)</button>
<button type="button" data-view-button="text" aria-pressed="false">Plain text</button>
</div>
<div class="stage"><iframe class="email-frame" title="The edition as sent" sandbox="allow-popups allow-popups-to-escape-sandbox" referrerpolicy="no-referrer" srcdoc="${frameDocument(fillTokens(edition.html, values, true))}"></iframe></div>
<pre class="source text" data-testid="text-part">${fillTokens(edition.text, values, false)}</pre>
</main><aside><section class="panel"><h2>Posts (${edition.posts.length})</h2><ul class="posts">${edition.posts.map((p) => html`<li><span class="title">${p.title}</span> <span class="file">${p.file}</span></li>`)}</ul></section>
<p><a href="/editions">All past editions</a></p></aside></div>`;
  return layout(ctx, `Edition #${edition.number}`, body);
}
