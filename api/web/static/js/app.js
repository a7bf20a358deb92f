// The client's shell: hash routing, the sidebar, the "Show query" panel.
// Each page is a module in pages/ exporting `render(root, route)`, which may return a cleanup function.

import { GraphQLError, gql, newPage, onSent, session } from './graphql.js';
import { errorBox, h } from './ui.js';

const PAGES = {
  '': { module: 'home', title: '4.5Hz' },
  signup: { module: 'signup', title: 'Sign up' },
  login: { module: 'login', title: 'Log in' },
  main: { module: 'main', title: 'Main', nav: 'Main', signedIn: true },
  discover: { module: 'discover', title: 'Music for you', nav: 'For you', signedIn: true },
  search: { module: 'search', title: 'Music search', nav: 'Search' },
  track: { module: 'track', title: 'Track' },
  radio: { module: 'radio', title: 'Radio', signedIn: true },
  playlists: { module: 'playlists', title: 'My playlists', nav: 'My playlists', signedIn: true },
  chart: { module: 'chart', title: '4.5Hz chart', nav: '4.5Hz chart' },
  top50: { module: 'top50', title: 'Top 50 chart', nav: 'Top 50' },
  stats: { module: 'stats', title: 'Overall statistics', nav: 'Statistics' },
  'my-stats': { module: 'my-stats', title: 'My statistics', nav: 'My statistics', signedIn: true },
};

const LOG_OUT = `
mutation LogOut {
  logOut
}`;

let cleanup = null;
let visits = 0;

/** `#/track/42?source=x` → `{ name: 'track', args: ['42'], params: URLSearchParams }`. */
function parseHash(hash) {
  const [path, query = ''] = hash.replace(/^#\/?/, '').split('?');
  const [name = '', ...args] = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { name, args, params: new URLSearchParams(query) };
}

function renderNav(current) {
  const links = Object.entries(PAGES)
    .filter(([, page]) => page.nav && (!page.signedIn || session.token))
    .map(([name, page]) => h('a', { href: `#/${name}`, 'aria-current': name === current ? 'page' : null }, page.nav));
  document.getElementById('nav').replaceChildren(...links);
  const account = document.getElementById('account');
  if (session.token) {
    account.replaceChildren(
      h('span', {}, 'Signed in as ', h('strong', { id: 'signed-in-as' }, session.user?.nickname ?? '?')),
      h('button', { class: 'secondary', onclick: logOut }, 'Log out'));
  } else {
    account.replaceChildren(h('a', { href: '#/signup' }, 'Sign up'), h('a', { href: '#/login' }, 'Log in'));
  }
}

/** Forget the session (e.g. its token expired) and open the log-in page. */
function toLogIn() {
  session.signOut();
  location.hash = '#/login';
}

async function logOut() {
  try {
    await gql(LOG_OUT);
  } finally {
    session.signOut();
    location.hash = '#/';
  }
}

function renderQueries(entries) {
  const list = entries.map((entry) => h('div', { class: 'sent' },
    h('div', { class: 'transport' }, entry.transport),
    h('pre', { class: 'query' }, entry.query),
    Object.keys(entry.variables).length ? h('pre', { class: 'variables' }, `variables: ${JSON.stringify(entry.variables, null, 2)}`) : null));
  document.getElementById('queries').replaceChildren(
    ...(list.length ? list : [h('p', { class: 'hint' }, 'This page has sent no GraphQL.')]));
}

async function route() {
  cleanup?.();
  cleanup = null;
  const visit = ++visits;
  const { name, args, params } = parseHash(location.hash);
  const page = PAGES[name] ?? PAGES[''];
  if (page.signedIn && !session.token) {
    location.hash = '#/login';
    return;
  }
  newPage();
  renderNav(name);
  document.getElementById('title').textContent = page.title;
  // A fresh element per visit: a page still loading after the user moved on writes into a detached one.
  const root = h('div', { 'data-page': page.module, 'data-state': 'loading' });
  document.getElementById('page').replaceChildren(root);
  try {
    const module = await import(`./pages/${page.module}.js`);
    const stop = (await module.render(root, { args, params })) ?? null;
    if (visit === visits) cleanup = stop;
    else stop?.(); // the user moved on while this page was loading
  } catch (error) {
    if (error instanceof GraphQLError && error.code === 'UNAUTHENTICATED') return toLogIn();
    root.replaceChildren(errorBox(error));
  }
  // Charts draw on the next frame; "ready" means the page shows what it loaded.
  await new Promise(requestAnimationFrame);
  root.dataset.state = 'ready';
}

// An API error in a button's handler (e.g. the token expired): show it on the page.
window.addEventListener('unhandledrejection', (event) => {
  if (!(event.reason instanceof GraphQLError)) return;
  event.preventDefault();
  if (event.reason.code === 'UNAUTHENTICATED') return toLogIn();
  document.querySelector('#page > div')?.prepend(errorBox(event.reason));
});

onSent(renderQueries);
window.addEventListener('hashchange', route);
route();
