import { en } from '../../ui/src/strings/en.ts';

export const strings = en;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

// The server-rendered pages (sign-in, errors) wear the app's colours, light and dark, without loading it.
export const STYLE = `
:root{color-scheme:light dark;--bg:#f4f6fb;--card:#fff;--fg:#1b2133;--muted:#5a6275;--line:#d5dae6;--primary:#2f55b4;--on-primary:#fff;--error:#b3261e;--focus:#2f55b4}
@media (prefers-color-scheme:dark){:root:not(.light){--bg:#10131b;--card:#1b202c;--fg:#e6e9f2;--muted:#a9b0c2;--line:#343b4d;--primary:#9db7ff;--on-primary:#0d1630;--error:#ffb4ab;--focus:#9db7ff}}
:root.dark{--bg:#10131b;--card:#1b202c;--fg:#e6e9f2;--muted:#a9b0c2;--line:#343b4d;--primary:#9db7ff;--on-primary:#0d1630;--error:#ffb4ab;--focus:#9db7ff}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg);min-height:100vh;display:flex;flex-direction:column;align-items:center}
main{width:min(26rem,calc(100% - 2rem));margin:8vh 0 2rem;background:var(--card);padding:2rem;border-radius:12px;box-shadow:0 2px 12px #0002}
main.wide{width:min(40rem,calc(100% - 2rem))}
h1{font-size:1.5rem;margin:.5rem 0 1rem}a{color:var(--primary)}
.brand{display:flex;align-items:center;gap:.6rem;font-weight:600;font-size:1.15rem;color:var(--fg);text-decoration:none}.brand img{width:36px;height:36px}
label{display:block;margin:1rem 0 .3rem;font-weight:500}
.field{display:flex;gap:.4rem}
input[type=text],input[type=password]{width:100%;padding:.65rem .75rem;font:inherit;color:inherit;background:transparent;border:1px solid var(--line);border-radius:8px}
input[aria-invalid=true]{border-color:var(--error)}
button{font:inherit;cursor:pointer;border-radius:8px}
form button[type=submit]{padding:.6rem 1.2rem;background:var(--primary);color:var(--on-primary);border:0;font-weight:600}
.primary{width:100%;margin-top:1.5rem;padding:.7rem 1rem;background:var(--primary);color:var(--on-primary);border:0;font-weight:600}
.primary:disabled{opacity:.55;cursor:not-allowed}
a.primary{display:block;box-sizing:border-box;text-align:center;text-decoration:none;border-radius:8px}
.ghost{display:flex;align-items:center;padding:0 .7rem;background:transparent;color:var(--primary);border:1px solid var(--line)}.ghost[aria-pressed=true]{background:color-mix(in srgb,var(--primary) 15%,transparent)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.error{color:var(--error)}.help{margin:.3rem 0 0;font-size:.9rem}
.alert{padding:.75rem 1rem;border-radius:8px;border:1px solid var(--error);color:var(--error);margin:1rem 0}
.banner{padding:.75rem 1rem;border-radius:8px;background:color-mix(in srgb,var(--primary) 12%,transparent);margin:1rem 0;white-space:pre-line}
[hidden]{display:none!important}`;

/** Applies the colour mode the app saved (MUI's key; else the system's) before the first paint. */
export const MODE_SCRIPT = `<script>try{var m=localStorage.getItem('mui-mode');if(m!=='dark'&&m!=='light')m=matchMedia('(prefers-color-scheme: dark)').matches?'dark':'light';document.documentElement.classList.add(m)}catch(e){}</script>`;

export function head(title: string, baseUrl: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · ${en.app.name}</title><link rel="icon" href="${baseUrl}hub/favicon.ico" type="image/svg+xml">${MODE_SCRIPT}<style>${STYLE}</style></head>`;
}

/** A whole server-rendered page around `body` (already-escaped HTML): errors and the OAuth confirmation. */
export function page(title: string, body: string, baseUrl: string, _user?: string): string {
  return `${head(title, baseUrl)}<body><main class="wide"><a class="brand" href="${baseUrl}hub/home"><img src="${baseUrl}hub/logo" alt="">${en.app.name}</a>
<h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}
