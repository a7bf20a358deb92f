// Sign-up: the deck's form, with the password rules under the password field. What the API
// reports broken (signUp's `extensions.violations`) is shown per field: a password rule is
// marked in the list, any other problem is written under its field.

import { GraphQLError, gql, session } from '../graphql.js';
import { h } from '../ui.js';

const SIGN_UP = `
mutation SignUp($nickname: String!, $name: String!, $birthDate: Date!, $gender: Gender!, $password: String!) {
  signUp(nickname: $nickname, name: $name, birthDate: $birthDate, gender: $gender, password: $password) {
    token
    user { id nickname name gender ageGroup }
  }
}`;

// Django's password rules, as the deck lists them; keys are the API's violation `rule`s.
const PASSWORD_RULES = {
  TOO_SIMILAR: 'Your password can’t be too similar to your other personal information.',
  TOO_SHORT: 'Your password must contain at least 8 characters.',
  TOO_COMMON: 'Your password can’t be a commonly used password.',
  ENTIRELY_NUMERIC: 'Your password can’t be entirely numeric.',
};

function field(name, label, input, ...extra) {
  input.id = `signup-${name}`;
  input.name = name;
  return h('div', { class: 'field', 'data-field': name },
    h('label', { for: input.id }, label), input, ...extra, h('ul', { class: 'problems' }));
}

function showProblems(form, violations) {
  form.querySelectorAll('.problems').forEach((list) => list.replaceChildren());
  form.querySelectorAll('.rules li').forEach((item) => item.classList.remove('broken'));
  for (const { field: name, rule, message } of violations) {
    const ruleItem = name === 'password' && form.querySelector(`.rules li[data-rule="${rule}"]`);
    if (ruleItem) {
      ruleItem.classList.add('broken');
      ruleItem.title = message;
      continue;
    }
    const list = form.querySelector(`[data-field="${name}"] .problems`) ?? form.querySelector('[data-field="form"] .problems');
    list.append(h('li', { 'data-rule': rule }, message));
  }
}

export async function render(root) {
  const form = h('form', { class: 'stacked', novalidate: true },
    field('nickname', 'Nickname', h('input', { required: true, autocomplete: 'username' })),
    field('name', 'Name', h('input', { required: true, autocomplete: 'name' })),
    field('birthDate', 'Birth date', h('input', { type: 'date', required: true })),
    field('gender', 'Gender', h('select', {},
      h('option', { value: 'FEMALE' }, 'Female'), h('option', { value: 'MALE' }, 'Male'), h('option', { value: 'OTHER' }, 'Other'))),
    field('password', 'Password', h('input', { type: 'password', required: true, autocomplete: 'new-password' }),
      h('ul', { class: 'rules' }, Object.entries(PASSWORD_RULES).map(([rule, text]) => h('li', { 'data-rule': rule }, text)))),
    field('passwordConfirmation', 'Password confirmation', h('input', { type: 'password', required: true, autocomplete: 'new-password' })),
    h('div', { 'data-field': 'form' }, h('ul', { class: 'problems' })),
    h('button', { type: 'submit' }, 'Submit'));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form));
    if (values.password !== values.passwordConfirmation) {
      showProblems(form, [{ field: 'passwordConfirmation', rule: 'MISMATCH', message: 'The two passwords differ.' }]);
      return;
    }
    if (!values.birthDate) {
      showProblems(form, [{ field: 'birthDate', rule: 'REQUIRED', message: 'Enter your birth date.' }]);
      return;
    }
    const { passwordConfirmation, ...variables } = values;
    try {
      const { signUp } = await gql(SIGN_UP, variables);
      session.signIn(signUp);
      location.hash = '#/main';
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
      showProblems(form, error.violations.length ? error.violations : [{ field: 'form', rule: error.code, message: error.message }]);
    }
  });
  root.append(form, h('p', { class: 'muted' }, 'Already have an account? ', h('a', { href: '#/login' }, 'Log in')));
}
