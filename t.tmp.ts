import { marked } from 'marked';
for (const n of [900]) { const b = Array.from({ length: n }, (_, i) => `${' '.repeat(i * 2)}- item`).join('\n'); const t = Date.now(); try { marked.lexer(b); console.log(n, Date.now()-t, 'ms'); } catch (e) { console.log(n, 'THROW', Date.now()-t, String(e).slice(0,60)); } }
const t2 = Date.now(); try { const toks = marked.lexer('*a _'.repeat(50000)); const p: any = toks.find(t=>t.type==='paragraph'); marked.parseInline(p.text); console.log('emph', Date.now()-t2);} catch(e) { console.log('emph throw', Date.now()-t2) }
