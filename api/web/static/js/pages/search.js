// Music search and genre browse: tracks matching every word (of the title or an artist), or a
// genre's tracks by popularity, a page at a time.

import { gql } from '../graphql.js';
import { TRACK_CARD, h, shelf, trackCard } from '../ui.js';

const GENRES = `
query Genres {
  genres { name trackCount }
}`;

const TRACKS = `
query Tracks($search: String, $genre: String, $first: Int!, $after: String) {
  tracks(search: $search, genre: $genre, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { ...TrackCard } }
  }
}
${TRACK_CARD}`;

const PAGE_SIZE = 12;

function results(search, genre) {
  const box = h('div', { id: 'results' });
  const cursors = [null]; // the `after` of each page shown so far

  async function show() {
    const { tracks } = await gql(TRACKS, { search, genre, first: PAGE_SIZE, after: cursors.at(-1) });
    const page = cursors.length;
    const heading = search ? `Results for “${search}”` : `Browsing “${genre}”`;
    box.replaceChildren(
      h('h2', {}, heading, h('span', { class: 'muted' }, ` · ${tracks.totalCount} tracks · page ${page}`)),
      shelf(tracks.edges.map(({ node }) => trackCard(node, { source: search ? 'search' : 'genre' })), 'No tracks found.'),
      h('div', { class: 'inline' },
        h('button', { class: 'secondary', id: 'previous-page', disabled: page === 1, onclick: () => { cursors.pop(); show(); } }, '← Previous'),
        h('button', { class: 'secondary', id: 'next-page', disabled: !tracks.pageInfo.hasNextPage,
          onclick: () => { cursors.push(tracks.pageInfo.endCursor); show(); } }, 'Next →')));
  }

  return { box, show };
}

export async function render(root, { params }) {
  const search = params.get('q') ?? '';
  const genre = params.get('genre') ?? '';
  const { genres } = await gql(GENRES);

  const searchForm = h('form', { class: 'inline', id: 'search-form' },
    h('input', { name: 'q', type: 'search', placeholder: 'Title or artist, e.g. “midnight”', value: search, 'aria-label': 'Search' }),
    h('button', { type: 'submit' }, 'Search'));
  searchForm.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `#/search?q=${encodeURIComponent(new FormData(searchForm).get('q').trim())}`;
  });

  const genreForm = h('form', { class: 'inline', id: 'genre-form' },
    h('select', { name: 'genre', 'aria-label': 'Genre' }, h('option', { value: '' }, 'Choose a genre'),
      genres.map((g) => h('option', { value: g.name, selected: g.name === genre }, `${g.name} (${g.trackCount})`))),
    h('button', { type: 'submit' }, 'Browse'));
  genreForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = new FormData(genreForm).get('genre');
    if (chosen) location.hash = `#/search?genre=${encodeURIComponent(chosen)}`;
  });

  root.append(h('h2', {}, 'Search'), searchForm, h('h2', {}, 'Browse a genre'), genreForm);
  if (search || genre) {
    const { box, show } = results(search || null, search ? null : genre);
    root.append(box);
    await show();
  }
}
