// My playlists: every playlist with its rated tracks (remove one, with the deck's dialog),
// and a form to create another. The playlists 4.5Hz generates (Daily Mix, Weekly Exploration)
// are shown read-only, in their order: the API refuses changes to them.

import { GraphQLError, gql } from '../graphql.js';
import { TRACK_CARD, artistNames, h, showDialog, stars, table, trackTitle } from '../ui.js';

const MY_PLAYLISTS = `
query MyPlaylists {
  myPlaylists(first: 10) {
    totalCount
    edges {
      node {
        id
        name
        isDefault
        kind
        generatedFor
        items(first: 50) {
          totalCount
          edges { node { rating position addedAt track { ...TrackCard } } }
        }
      }
    }
  }
}
${TRACK_CARD}`;

const REMOVE = `
mutation RemoveFromPlaylist($trackId: ID!, $playlistId: ID!) {
  removeFromPlaylist(trackId: $trackId, playlistId: $playlistId) { id }
}`;

const CREATE = `
mutation CreatePlaylist($name: String!) {
  createPlaylist(name: $name) { id name }
}`;

function playlistTable(playlist, rerender) {
  const remove = (item) => h('button', {
    class: 'secondary',
    onclick: async () => {
      await gql(REMOVE, { trackId: item.track.id, playlistId: playlist.id });
      await showDialog('Removed from your playlist.');
      rerender();
    },
  }, 'Remove');
  return table([
    ['Title', (item) => trackTitle(item.track)],
    ['Artist', (item) => artistNames(item.track)],
    ['Rating', (item) => stars(item.rating)],
    ['Added', (item) => new Date(item.addedAt).toLocaleDateString()],
    ['', remove],
  ], playlist.items.edges.map(({ node }) => node), 'No tracks yet: rate one on its page to add it.');
}

// What the heading says a generated playlist is for, and when it is renewed.
const GENERATED = {
  DAILY_MIX: { made: 'the day', renewed: 'every day' },
  WEEKLY_EXPLORATION: { made: 'the week of', renewed: 'every Monday' },
};

/** A generated playlist's tracks in their order: nothing to rate or remove. */
function generatedTable(playlist) {
  const renewed = GENERATED[playlist.kind]?.renewed ?? 'on schedule';
  return [h('p', { class: 'muted' }, `Made by 4.5Hz, renewed ${renewed}; it cannot be changed.`
    + ' Rate a track on its page to keep it in a playlist of your own.'), table([
    ['#', (item) => item.position + 1, 'number'],
    ['Title', (item) => trackTitle(item.track)],
    ['Artist', (item) => artistNames(item.track)],
  ], playlist.items.edges.map(({ node }) => node), 'No tracks in it yet.')];
}

function playlistHeading(playlist) {
  const generated = playlist.kind !== 'USER';
  return h('h2', {}, playlist.name,
    generated ? h('span', { class: 'badge' }, 'made for you') : null,
    playlist.isDefault ? h('span', { class: 'muted' }, ' · default') : null,
    generated ? h('span', { class: 'muted generated-for' }, ` · for ${GENERATED[playlist.kind]?.made ?? ''} ${playlist.generatedFor}`) : null,
    h('span', { class: 'muted' }, ` · ${playlist.items.totalCount} tracks`));
}

export async function render(root) {
  const rerender = () => { root.replaceChildren(); render(root); };
  const { myPlaylists } = await gql(MY_PLAYLISTS);
  const problem = h('p', { class: 'error', hidden: true });
  const form = h('form', { class: 'inline', id: 'create-playlist' },
    h('input', { name: 'name', required: true, placeholder: 'New playlist name', 'aria-label': 'New playlist name' }),
    h('button', { type: 'submit' }, 'Create playlist'), problem);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await gql(CREATE, { name: new FormData(form).get('name') });
      rerender();
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
      problem.textContent = error.message;
      problem.hidden = false;
    }
  });
  root.append(...myPlaylists.edges.map(({ node }) => h('section', { class: 'playlist', 'data-playlist-id': node.id, 'data-kind': node.kind },
    playlistHeading(node),
    node.kind === 'USER' ? playlistTable(node, rerender) : generatedTable(node))), form);
}
