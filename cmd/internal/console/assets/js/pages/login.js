// login.js: the login form for the BASIC workflow. The credentials are
// checked with GET /auth/verify; on 200 the Basic header is kept in
// sessionStorage (gone when the tab closes) and sent on every API call.

import {api, auth, basic, HttpError} from '../api.js';
import {h, mount} from '../dom.js';

export async function render(main, ctx) {
  const next = ctx.query.get('next') || '/';
  const expired = sessionStorage.getItem('tannin.console.expired');
  sessionStorage.removeItem('tannin.console.expired');
  const user = h('input', {id: 'login-user', name: 'username', autocomplete: 'username', required: true, autofocus: true});
  const pass = h('input', {id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true});
  const msg = h('p', {class: 'form-error', role: 'alert', 'data-testid': 'login-error'});
  if (expired) msg.textContent = 'Your session ended: log in again.';
  const submit = h('button', {type: 'submit', class: 'btn btn-primary', 'data-testid': 'login-submit'}, 'Log in');
  const form = h('form', {class: 'login-form', 'aria-labelledby': 'login-title', novalidate: true},
    h('h1', {id: 'login-title'}, 'Log in to Tannin'),
    h('p', {class: 'muted'}, 'The controller asks for a user name and password (HTTP Basic).'),
    h('label', {for: 'login-user'}, 'User name'), user,
    h('label', {for: 'login-password'}, 'Password'), pass,
    msg, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!user.value) { msg.textContent = 'Enter a user name.'; user.focus(); return; }
    if (!pass.value) { msg.textContent = 'Enter a password.'; pass.focus(); return; }
    submit.disabled = true;
    msg.textContent = '';
    const header = basic(user.value, pass.value);
    try {
      await api.verify(header);
      auth.set(header);
      ctx.app.afterLogin();
      // Only console paths are followed after login.
      ctx.router.go(next.startsWith('/') && !next.startsWith('//') ? next : '/', {replace: true});
    } catch (err) {
      if (err instanceof HttpError && err.status === 401) msg.textContent = 'Wrong user name or password.';
      else if (err instanceof HttpError && err.status === 429) msg.textContent = 'Too many failed attempts: wait a little, then try again.';
      else msg.textContent = `Cannot log in: ${err.message}`;
      pass.select();
      pass.focus();
    } finally {
      submit.disabled = false;
    }
  });
  mount(main, h('div', {class: 'login-page'}, form));
  user.focus();
}
