// Runs inside the page (injected by tests/support/email-audit.ts): plain JavaScript, no imports.
window.emailAudit = (() => {
  const visible = (node) => {
    const range = document.createRange();
    range.selectNodeContents(node);
    return [...range.getClientRects()].filter((r) => r.width >= 2 && r.height >= 4);
  };
  const textNodes = () => {
    const nodes = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = (node.textContent || '').replace(/\s+/g, ' ').trim();
      if (text && node.parentElement) nodes.push({ node, text, parent: node.parentElement });
    }
    return nodes;
  };
  const parse = (value) => {
    const m = /rgba?\(([^)]+)\)/.exec(value);
    if (!m) return [0, 0, 0, 0];
    const parts = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [parts[0] || 0, parts[1] || 0, parts[2] || 0, parts[3] === undefined ? 1 : parts[3]];
  };
  const luminance = ([r, g, b]) => {
    const lin = (c) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const backgroundOf = (element) => {
    for (let e = element; e; e = e.parentElement) {
      const [r, g, b, a] = parse(getComputedStyle(e).backgroundColor);
      if (a > 0.5) return [r, g, b];
    }
    return [255, 255, 255];
  };
  return {
    visibleTexts() {
      // Hidden by CSS: invisible, transparent, clipped, tiny, or inside a box too small to show it.
      // (Font size and visibility count on the text's own element: MJML sets font-size:0 on layout cells.)
      const hiddenBy = (element) => {
        const own = getComputedStyle(element);
        if (own.visibility === 'hidden' || parseFloat(own.fontSize) < 6) return true;
        for (let e = element; e && e !== document.documentElement; e = e.parentElement) {
          const style = getComputedStyle(e);
          const box = e.getBoundingClientRect();
          if (Number(style.opacity) === 0) return true;
          if (style.clip !== 'auto' && style.clip !== '' || style.clipPath !== 'none') return true;
          if (style.overflow !== 'visible' && (box.width <= 2 || box.height <= 2)) return true;
        }
        return false;
      };
      return textNodes()
        .filter(({ node, parent }) => visible(node).length > 0 && !hiddenBy(parent))
        .map(({ text }) => text);
    },
    strip(properties) {
      for (const style of [...document.querySelectorAll('style')]) style.remove();
      for (const element of [...document.querySelectorAll('[style]')]) {
        const keepSize = /^(TABLE|TD|IMG|TR)$/.test(element.tagName);
        for (const property of properties) if (!(keepSize && (property === 'width' || property === 'height'))) element.style.removeProperty(property);
      }
    },
    contrast(invert) {
      const flip = (rgb, isBackground) => {
        if (!invert) return rgb;
        const light = luminance(rgb) > 0.4;
        // Partial (Gmail's apps): light backgrounds become dark, dark text becomes light; the rest stays.
        const change = invert === 'full' || (isBackground ? light : !light);
        return change ? rgb.map((c) => 255 - c) : rgb;
      };
      return textNodes()
        .filter(({ node }) => visible(node).length > 0)
        .map(({ text, parent }) => {
          const fg = flip(parse(getComputedStyle(parent).color).slice(0, 3), false);
          const bg = flip(backgroundOf(parent), true);
          const [l1, l2] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
          return { text: text.slice(0, 60), ratio: Math.round(((l1 + 0.05) / (l2 + 0.05)) * 100) / 100, color: `rgb(${fg.join(',')})`, background: `rgb(${bg.join(',')})` };
        });
    },
  };
})();
