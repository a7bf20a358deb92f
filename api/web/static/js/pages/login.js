// Log-in: nickname and password; a wrong pair or too many tries is said under the form.

import { GraphQLError, gql, session } from '../graphql.js';
import { h } from '../ui.js';

const LOG_IN = `
mutation LogIn($nickname: String!, $password: String!) {
  logIn(nickname: $nickname, password: $password) {
    token
    user { id nickname name gender ageGroup }
  }
}`;

export async function render(root) {
  const problem = h('p', { class: 'error', hidden: true, role: 'alert' });
  const form = h('form', { class: 'stacked' },
    h('div', { class: 'field' }, h('label', { for: 'login-nickname' }, 'Nickname'),
      h('input', { id: 'login-nickname', name: 'nickname', required: true, autocomplete: 'username' })),
    h('div', { class: 'field' }, h('label', { for: 'login-password' }, 'Password'),
      h('input', { id: 'login-password', name: 'password', type: 'password', required: true, autocomplete: 'current-password' })),
    problem,
    h('button', { type: 'submit' }, 'Submit'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const { logIn } = await gql(LOG_IN, Object.fromEntries(new FormData(form)));
      session.signIn(logIn);
      location.hash = '#/main';
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
      problem.textContent = error.message;
      problem.hidden = false;
    }
  });
  root.append(form, h('p', { class: 'muted' }, 'New here? ', h('a', { href: '#/signup' }, 'Sign up')));
}
