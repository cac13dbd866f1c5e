/**
 * The preview page's own style and script (trusted, inline, allowed by a per-response CSP nonce).
 * The script: view switching (desktop, mobile, text, raw), live reload over Server-Sent Events
 * (re-fetches the page and swaps its live regions, keeping the chosen view and the typed test address), and
 * "Send a test" with the session token.
 */
export const STYLE = `
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2433;background:#f3f5f8}
header.bar{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;padding:10px 20px;background:#14213d;color:#fff}
header.bar a{color:#c9d3e6;text-decoration:none}header.bar a:hover{color:#fff}header.bar h1{font-size:16px;margin:0 12px 0 0}
#live{margin-left:auto;font-size:12px;color:#9fb0cf}#live.on::before{content:"● ";color:#5fd38d}
form.picker{display:flex;flex-wrap:wrap;gap:12px;align-items:end;padding:12px 20px;background:#fff;border-bottom:1px solid #dde2ea}
form.picker label{display:flex;flex-direction:column;font-size:12px;color:#5b6578;gap:3px}
form.picker fieldset{border:0;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:4px 10px;max-width:640px;font-size:12px}
form.picker label.topic{flex-direction:row;align-items:center;gap:4px;color:#1d2433}
form.picker fieldset legend{font-size:12px;color:#5b6578;padding:0}
input,select,button{font:inherit}button{cursor:pointer}
.layout{display:grid;grid-template-columns:minmax(0,1fr) 380px;gap:20px;padding:16px 20px}
@media (max-width:1100px){.layout{grid-template-columns:minmax(0,1fr)}form.picker label,form.picker input{max-width:100%}}
@media (max-width:600px){.layout{padding:12px 10px;gap:12px}form.picker{padding:10px}.stage{padding:8px}}
.panel{background:#fff;border:1px solid #dde2ea;border-radius:8px;padding:12px 14px;margin-bottom:14px}
.panel h2{font-size:13px;text-transform:uppercase;letter-spacing:.06em;color:#5b6578;margin:0 0 8px}
.error{background:#fff1f0;border:1px solid #f3b7b1;color:#8a1c12;border-radius:8px;padding:12px 14px;margin-bottom:14px;white-space:pre-wrap;font-family:ui-monospace,monospace}
.inbox{display:grid;grid-template-columns:auto minmax(0,1fr);gap:2px 12px}.inbox dt{color:#5b6578}.inbox dd{margin:0;overflow-wrap:anywhere}
.inbox .subject{font-weight:700}.inbox .preheader{color:#5b6578}
.tabs{display:flex;flex-wrap:wrap;gap:6px;margin:0 0 10px}.tabs button{border:1px solid #c7cfdb;background:#fff;border-radius:6px;padding:5px 12px}
.tabs a.download{margin-left:auto;align-self:center;font-size:13px}
.tabs button[aria-pressed=true]{background:#1b5fa8;border-color:#1b5fa8;color:#fff}
.stage{display:flex;justify-content:safe center;background:#e4e8ee;border-radius:8px;padding:16px;overflow:auto}
.email-frame{border:0;background:#fff;height:1100px;width:100%;min-width:620px;box-shadow:0 1px 4px rgba(0,0,0,.15)}
body[data-view=mobile] .email-frame{box-sizing:content-box;width:375px;min-width:375px;height:812px;border-radius:18px;border:10px solid #1d2433}
.source{display:none;white-space:pre-wrap;word-break:break-word;background:#fff;border:1px solid #dde2ea;border-radius:8px;padding:14px;margin:0;font:12.5px/1.5 ui-monospace,monospace;max-height:1100px;overflow:auto}
body[data-view=text] .stage,body[data-view=eml] .stage{display:none}
body[data-view=text] .source.text,body[data-view=eml] .source.eml{display:block}
ul.posts{list-style:none;margin:0;padding:0;overflow-wrap:anywhere}ul.posts li{padding:6px 0;border-top:1px solid #eef1f5}ul.posts li:first-child{border-top:0}
.reason{display:block;font-size:12px;color:#8a4b00}.file{font-size:12px;color:#5b6578;font-family:ui-monospace,monospace}
ul.findings{margin:0;padding-left:18px}ul.findings li.warning{color:#8a4b00}ul.findings li.info{color:#5b6578}
#send-test input[type=email]{width:100%;padding:5px 8px;margin:4px 0 8px}#send-status{margin-top:8px;font-size:13px}
#send-status.ok{color:#176b3a}#send-status.fail{color:#8a1c12}
table.editions{border-collapse:collapse;width:100%;background:#fff}table.editions td,table.editions th{padding:6px 10px;border-bottom:1px solid #eef1f5;text-align:left}
.muted{color:#5b6578}
`;

export const SCRIPT = `
(() => {
  const token = document.querySelector('meta[name="preview-token"]').content;
  const setView = (view) => {
    document.body.dataset.view = view;
    for (const b of document.querySelectorAll('[data-view-button]')) b.setAttribute('aria-pressed', String(b.dataset.viewButton === view));
    try { sessionStorage.setItem('preview-view', view); } catch {}
  };
  document.addEventListener('click', (event) => {
    const button = event.target.closest('[data-view-button]');
    if (button) { event.preventDefault(); setView(button.dataset.viewButton); }
  });
  let saved = 'desktop';
  try { saved = sessionStorage.getItem('preview-view') || 'desktop'; } catch {}
  setView(saved);

  let busy = false, again = false, reloads = 0;
  const refresh = async () => {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const response = await fetch(location.href, { cache: 'no-store' });
      const next = new DOMParser().parseFromString(await response.text(), 'text/html');
      for (const region of next.querySelectorAll('[data-live-region]')) document.getElementById(region.id)?.replaceWith(region);
      reloads += 1;
      document.body.dataset.reloads = String(reloads);
      setView(document.body.dataset.view || 'desktop');
    } catch {}
    busy = false;
    if (again) { again = false; refresh(); }
  };
  const live = document.getElementById('live');
  if (live && window.EventSource) {
    const events = new EventSource('/events');
    events.addEventListener('open', () => { live.classList.add('on'); live.textContent = 'live'; });
    events.addEventListener('error', () => { live.classList.remove('on'); live.textContent = 'reconnecting…'; });
    events.addEventListener('change', refresh);
  }

  document.addEventListener('submit', async (event) => {
    const form = event.target;
    if (form.id !== 'send-test') return;
    event.preventDefault();
    const status = document.getElementById('send-status');
    status.className = '';
    status.textContent = 'Sending…';
    try {
      const response = await fetch(form.action, {
        method: 'POST',
        headers: { 'x-preview-token': token, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams(new FormData(form)),
      });
      const result = await response.json();
      status.className = result.ok ? 'ok' : 'fail';
      status.textContent = result.message;
    } catch (error) {
      status.className = 'fail';
      status.textContent = 'The preview server did not answer: is digest preview still running?';
    }
  });
})();
`;
