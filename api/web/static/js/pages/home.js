// Home: what 4.5Hz is, sign-up / log-in (or the way to the main page), and the catalog's genres.

import { gql, session } from '../graphql.js';
import { h } from '../ui.js';

const GENRES = `
query Genres {
  genres { name trackCount }
}`;

export async function render(root) {
  const { genres } = await gql(GENRES);
  const actions = session.token
    ? [h('a', { class: 'button', href: '#/main' }, 'Main')]
    : [h('a', { class: 'button', href: '#/signup' }, 'Sign up'), h('a', { class: 'button', href: '#/login' }, 'Log in')];
  root.append(
    h('div', { class: 'hero' },
      h('p', {}, 'Find the music and artists you like, get tracks that sound like your favourites, ',
        'and hear what listeners like you play — with live charts and your own listening statistics.'),
      h('div', { class: 'inline' }, actions)),
    h('h2', {}, 'Browse by genre'),
    h('div', { class: 'inline' }, genres.map((genre) => h('a', { class: 'button secondary', href: `#/search?genre=${encodeURIComponent(genre.name)}` },
      `${genre.name} (${genre.trackCount})`))));
}
