import { escapeHtml, head, strings } from './html.ts';

export interface LoginView {
  baseUrl: string;
  next: string;
  xsrf: string;
  message?: string;
  username?: string;
  /** Seconds the throttle makes this user wait; the page counts down and keeps the button off meanwhile. */
  retryAfter?: number;
  announcement?: string;
  /** With an OpenID Connect provider: one button to it instead of the form (no password is typed into Plasma). */
  provider?: { href: string; buttonText: string };
}

const s = strings.login;

/*
 * Without JavaScript the form posts as JupyterHub's does (scripts and load tools rely on it, and `required` keeps an
 * empty form from being sent). With it: messages next to the fields instead of the browser's, show/hide password,
 * and the throttle's countdown.
 */
const SCRIPT = `(function(){var f=document.getElementById('login'),d=f.dataset,p=document.getElementById('password'),
t=document.getElementById('toggle'),b=document.getElementById('submit'),a=document.getElementById('form-error');
f.noValidate=true;t.hidden=false;
t.onclick=function(){var v=p.type==='password';p.type=v?'text':'password';t.title=v?d.hide:d.show;t.setAttribute('aria-pressed',String(v))};
function check(id,msg){var i=document.getElementById(id),e=document.getElementById(id+'-error'),bad=!i.value.trim();
e.textContent=bad?msg:'';e.hidden=!bad;i.setAttribute('aria-invalid',String(bad));return bad?i:null}
f.addEventListener('submit',function(ev){var u=check('username',d.usernameMissing),w=check('password',d.passwordMissing);
if(u||w||b.disabled){ev.preventDefault();(u||w||b).focus()}});
var r=Number(d.retry||0);if(r>0&&a){b.disabled=true;var n=setInterval(function(){r--;
if(r<=0){clearInterval(n);b.disabled=false;a.textContent=d.again}else{a.textContent=d.wait.replace('{s}',r)}},1000)}})();`;

const EYE = '<svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true" fill="currentColor"><path d="M12 5C6.5 5 2.7 9.1 1.5 12c1.2 2.9 5 7 10.5 7s9.3-4.1 10.5-7C21.3 9.1 17.5 5 12 5zm0 11.5A4.5 4.5 0 1 1 12 7.5a4.5 4.5 0 0 1 0 9zm0-7a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5z"/></svg>';

export function loginPage(v: LoginView): string {
  const hub = `${v.baseUrl}hub/`;
  const wait = s.throttled(999999).replace('999999', '{s}');
  const data = {
    show: s.show, hide: s.hide, 'username-missing': s.usernameMissing, 'password-missing': s.passwordMissing,
    retry: String(v.retryAfter ?? 0), wait, again: strings.common.retry,
  };
  const dataAttrs = Object.entries(data).map(([k, val]) => `data-${k}="${escapeHtml(val)}"`).join(' ');
  const banner = v.announcement
    ? `<div class="banner" role="note" aria-label="${escapeHtml(strings.announcement)}">${escapeHtml(v.announcement)}</div>` : '';
  const alert = v.message ? `<div class="alert" role="alert" id="form-error">${escapeHtml(v.message)}</div>` : '';
  return `${head(s.title, v.baseUrl)}<body><main>
<a class="brand" href="${hub}home"><img src="${hub}logo" alt="" width="36" height="36">${strings.app.name}</a>
<h1>${s.title}</h1>${banner}${alert}
${v.provider ? `<p><a class="primary" id="oidc-login" href="${escapeHtml(v.provider.href)}">${escapeHtml(v.provider.buttonText)}</a></p></main></body></html>` : `<form method="post" action="${hub}login?next=${escapeHtml(encodeURIComponent(v.next))}" id="login" ${dataAttrs}>
<input type="hidden" name="_xsrf" value="${escapeHtml(v.xsrf)}">
<label for="username">${s.username}</label>
<input type="text" id="username" name="username" value="${escapeHtml(v.username ?? '')}" autocomplete="username" autocapitalize="none" spellcheck="false" required${v.username ? '' : ' autofocus'} aria-describedby="username-error">
<p class="help error" id="username-error" hidden></p>
<label for="password">${s.password}</label>
<div class="field"><input type="password" id="password" name="password" autocomplete="current-password" required${v.username ? ' autofocus' : ''} aria-describedby="password-error">
<button type="button" class="ghost" id="toggle" aria-controls="password" aria-pressed="false" aria-label="${s.show}" title="${s.show}" hidden>${EYE}</button></div>
<p class="help error" id="password-error" hidden></p>
<button type="submit" class="primary" id="submit">${s.submit}</button>
</form></main><script>${SCRIPT}</script></body></html>`}`;
}
