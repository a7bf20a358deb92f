// Track page: release date, popularity, genre; a star rating and add to / remove from my
// playlist (with the deck's confirmation dialogs); play; start a radio; tracks that sound similar.

import { gql, session } from '../graphql.js';
import { TRACK_CARD, artistNames, cover, h, notice, shelf, showDialog, stars, trackCard } from '../ui.js';

const TRACK = `
query Track($id: ID!) {
  track(id: $id) {
    id
    name
    album
    releaseDate
    popularity
    durationMs
    primaryGenre
    genres
    myRating
    artists { id name }
  }
}`;

// Asked apart from the track: a track the content engine has not seen yet gets NOT_READY.
const SIMILAR = `
query SimilarTracks($id: ID!) {
  similarTracks(trackId: $id, k: 6) {
    score
    engine
    track { ...TrackCard }
  }
}
${TRACK_CARD}`;

async function similarShelf(id) {
  try {
    const { similarTracks } = await gql(SIMILAR, { id });
    return shelf(similarTracks.map((s) => trackCard(s.track, { reason: `${s.engine} · similarity ${s.score.toFixed(2)}`, source: 'similar' })),
      'No similar tracks yet.');
  } catch (error) {
    const notReady = error.errors?.find((e) => e.extensions?.code === 'NOT_READY');
    if (!notReady) throw error;
    return notice(notReady.message);
  }
}

const ADD = `
mutation AddToPlaylist($trackId: ID!, $rating: Int!) {
  addToPlaylist(trackId: $trackId, rating: $rating) { id name }
}`;

const REMOVE = `
mutation RemoveFromPlaylist($trackId: ID!) {
  removeFromPlaylist(trackId: $trackId) { id name }
}`;

const PLAY = `
mutation RecordPlay($trackId: ID!, $source: String) {
  recordPlay(trackId: $trackId, source: $source) { id playedAt }
}`;

/** "2021-10-29" → "29 October 2021"; a bare year (or month) stays as it is. */
function releaseDay(text) {
  if (!text || !/^\d{4}-\d{2}-\d{2}$/.test(text)) return text ?? 'unknown';
  return new Date(`${text}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
}

const minutes = (ms) => (ms ? `${Math.floor(ms / 60000)}:${String(Math.round(ms / 1000) % 60).padStart(2, '0')}` : '');

function starPicker(onChange) {
  let chosen = null;
  const buttons = [1, 2, 3, 4, 5].map((value) => h('button', {
    type: 'button', 'data-rating': value, 'aria-label': `${value} stars`,
    onclick: () => {
      chosen = value;
      buttons.forEach((button, i) => button.classList.toggle('on', i < value));
      onChange(value);
    },
  }, '★'));
  return { element: h('div', { class: 'star-picker', id: 'star-picker' }, buttons), value: () => chosen };
}

function playlistControls(track, rerender) {
  if (track.myRating !== null) {
    return h('div', { class: 'inline' },
      h('span', { id: 'my-rating' }, 'Your rating: ', stars(track.myRating), ` ${track.myRating}`),
      h('button', {
        id: 'remove-from-playlist',
        onclick: async () => {
          await gql(REMOVE, { trackId: track.id });
          await showDialog('Removed from your playlist.');
          rerender();
        },
      }, 'Remove from playlist'));
  }
  const picker = starPicker(() => {});
  return h('div', { class: 'inline' }, h('span', {}, 'Choose a rating:'), picker.element,
    h('button', {
      id: 'add-to-playlist',
      onclick: async () => {
        const rating = picker.value();
        if (rating === null) {
          await showDialog('Choose a star rating.');
          return;
        }
        await gql(ADD, { trackId: track.id, rating });
        await showDialog('Added to your playlist.');
        rerender();
      },
    }, 'Add to playlist'));
}

/** Links to the radio of the track and of its first artist (the client has no artist page). */
function radioLinks(track) {
  const [artist] = track.artists;
  return h('div', { class: 'inline' },
    h('a', { class: 'button', id: 'start-radio', href: `#/radio/track/${track.id}` }, 'Start radio'),
    artist ? h('a', { class: 'button secondary', id: 'start-artist-radio', href: `#/radio/artist/${artist.id}` },
      `Start ${artist.name} radio`) : null);
}

function player(track, source) {
  const status = h('span', { class: 'muted', id: 'play-status' });
  let plays = 0;
  return h('div', { class: 'inline' },
    h('button', {
      id: 'play',
      onclick: async () => {
        const { recordPlay } = await gql(PLAY, { trackId: track.id, source });
        plays += 1;
        status.textContent = `Played ${plays}× (last at ${new Date(recordPlay.playedAt).toLocaleTimeString()}); `
          + 'the realtime chart counts it at its next update.';
      },
    }, '▶ Play'),
    status);
}

export async function render(root, { args, params }) {
  const [id] = args;
  const source = params.get('source') || 'track_page';
  const rerender = () => { root.replaceChildren(); render(root, { args, params }); };
  const [{ track }, similar] = await Promise.all([gql(TRACK, { id }), similarShelf(id)]);
  const signedIn = Boolean(session.token);
  root.append(
    h('div', { class: 'track-detail' },
      cover(track),
      h('div', {},
        h('h2', { id: 'track-name' }, track.name),
        h('p', { class: 'muted' }, artistNames(track)),
        h('dl', { class: 'facts' },
          h('dt', {}, 'Release date'), h('dd', { id: 'release-date' }, releaseDay(track.releaseDate)),
          h('dt', {}, 'Popularity'), h('dd', { id: 'popularity' }, track.popularity),
          h('dt', {}, 'Genre'), h('dd', { id: 'genre' }, track.genres.join(', ') || 'unknown'),
          track.album ? [h('dt', {}, 'Album'), h('dd', {}, track.album)] : null,
          track.durationMs ? [h('dt', {}, 'Length'), h('dd', {}, minutes(track.durationMs))] : null),
        signedIn ? [playlistControls(track, rerender), player(track, source), radioLinks(track)]
          : notice('Log in to rate this track, add it to your playlist and play it.'))),
    h('h2', {}, 'Sounds similar'),
    similar);
}
