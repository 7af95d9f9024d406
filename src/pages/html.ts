export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `
body{font-family:system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#243b55;color:#fff;padding:.7rem 1.2rem;display:flex;justify-content:space-between;align-items:center}
header a{color:#fff;margin-left:1rem}
main{max-width:44rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;box-shadow:0 1px 4px #0002}
label{display:block;margin:.8rem 0 .2rem}input[type=text],input[type=password]{width:100%;padding:.5rem;box-sizing:border-box}
button{margin-top:1rem;padding:.5rem 1.2rem;background:#2f6fde;color:#fff;border:0;border-radius:4px;cursor:pointer}
button.secondary{background:#6b7280}a.button{display:inline-block;padding:.5rem 1.2rem;background:#2f6fde;color:#fff;border-radius:4px;text-decoration:none}
.envs td{vertical-align:top}.envs small{color:#555}.error{color:#b00020}table{width:100%;border-collapse:collapse}td,th{padding:.4rem;text-align:left;border-bottom:1px solid #e5e7eb}
progress{width:100%}`;

/** A whole page around `body` (already-escaped HTML). */
export function page(title: string, body: string, baseUrl: string, user?: string): string {
  const nav = user
    ? `<span>${escapeHtml(user)}<a href="${baseUrl}hub/home">Home</a><a href="${baseUrl}hub/logout">Log out</a></span>`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · Plasma</title><style>${STYLE}</style></head>
<body><header><strong>Plasma</strong>${nav}</header><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}
