// Radio: a listenable sequence of tracks similar to a seed track or artist, at a chosen
// adventurousness, each with its reason and engine; a line chart of the tempo along the list
// shows how smoothly it moves. A play from here is logged as the radio's recommendation.

import { gql } from '../graphql.js';
import { artistNames, chart, choices, h, notice, panel, table, trackHref } from '../ui.js';

const RADIO = `
query Radio($track: ID, $artist: ID, $k: Int!, $level: Adventurousness!) {
  radio(seedTrackId: $track, seedArtistId: $artist, k: $k, adventurous: $level) {
    mixId
    seedTrack { id name }
    seedArtist { id name }
    items {
      score
      reason
      engine
      track { id name primaryGenre artists { name } audioFeatures { tempo energy } }
    }
  }
}`;

const PLAY = `
mutation RecordPlay($trackId: ID!, $source: String) {
  recordPlay(trackId: $trackId, source: $source) { id playedAt }
}`;

const LEVELS = [['LOW', 'Stay close'], ['MEDIUM', 'Some variety'], ['HIGH', 'Adventurous']];
const LENGTH = 25;
const BLUE = '#2f5bea';

/** `#/radio/track/1?level=HIGH` → the variables of the radio query (null for a route it does not know). */
function seedOf(args, params) {
  const [kind, id] = args;
  if (!id || !['track', 'artist'].includes(kind)) return null;
  const level = params.get('level')?.toUpperCase();
  return { kind, id, level: LEVELS.some(([value]) => value === level) ? level : 'MEDIUM' };
}

function levelPicker(seed) {
  const href = (level) => `#/radio/${seed.kind}/${encodeURIComponent(seed.id)}?level=${level}`;
  return choices('level-picker', 'Adventurousness',
    LEVELS.map(([value, label]) => [value, `${value} · ${label}`, href(value)]), seed.level);
}

/** A tempo or energy with `digits` decimals; a dash when Spotify gave none. */
const fixed = (value, digits = 1) => (value === null || value === undefined ? '–' : value.toFixed(digits));

function playButton(item, source) {
  return h('button', {
    class: 'secondary play', 'aria-label': `Play ${item.track.name}`,
    onclick: async (event) => {
      const button = event.currentTarget;
      await gql(PLAY, { trackId: item.track.id, source });
      button.textContent = '✓ Played';
      button.disabled = true;
    },
  }, '▶ Play');
}

function tempoChart(items) {
  const tempos = items.map((item) => item.track.audioFeatures?.tempo ?? null);
  return panel('Tempo along the radio',
    h('p', { class: 'muted', id: 'tempo-step' }, meanStep(tempos)),
    chart('line', items.map((_, i) => i + 1), [{
      label: 'Tempo (BPM)', data: tempos, borderColor: BLUE, backgroundColor: BLUE, tension: 0.25, spanGaps: true,
    }], { plugins: { legend: { display: false } }, scales: { x: { title: { display: true, text: 'Position' } },
      y: { title: { display: true, text: 'BPM' } } } }));
}

/** "Mean tempo step 4.2 BPM": how far tempo moves from one track to the next, on average. */
function meanStep(tempos) {
  const steps = tempos.slice(1).map((tempo, i) => (tempo === null || tempos[i] === null ? null : Math.abs(tempo - tempos[i])))
    .filter((step) => step !== null);
  if (!steps.length) return 'Not enough tempos to compare.';
  return `Mean tempo step ${(steps.reduce((a, b) => a + b, 0) / steps.length).toFixed(1)} BPM from one track to the next.`;
}

async function loadRadio(seed) {
  try {
    const { radio } = await gql(RADIO, {
      track: seed.kind === 'track' ? seed.id : null, artist: seed.kind === 'artist' ? seed.id : null, k: LENGTH, level: seed.level,
    });
    return { radio };
  } catch (error) {
    const notReady = error.errors?.find((e) => e.extensions?.code === 'NOT_READY');
    if (!notReady) throw error;
    return { warmingUp: notReady.message };
  }
}

export async function render(root, { args, params }) {
  const seed = seedOf(args, params);
  if (!seed) {
    root.append(notice('Start a radio from a track page.'));
    return;
  }
  const { radio, warmingUp } = await loadRadio(seed);
  root.dataset.level = seed.level;
  if (warmingUp) {
    root.append(levelPicker(seed), h('div', { class: 'notice', id: 'radio-warming-up' },
      'The radio is warming up: ', warmingUp));
    return;
  }
  const source = `recommendation:${radio.mixId}`;
  root.append(
    h('h2', { id: 'radio-seed' }, 'Radio from ', radio.seedArtist ? radio.seedArtist.name : h('a', { href: trackHref(radio.seedTrack) }, radio.seedTrack.name)),
    h('p', { class: 'muted' }, `Mix “${radio.mixId}”: ${radio.items.length} tracks, the seed first, ordered so tempo and energy change smoothly.`),
    levelPicker(seed),
    tempoChart(radio.items),
    h('div', { id: 'radio-list' }, table([
      ['#', (_, i) => i + 1, 'number'],
      ['Title', (item) => h('a', { href: trackHref(item.track, source) }, item.track.name)],
      ['Artist', (item) => artistNames(item.track)],
      ['Why', (item) => h('span', { class: 'reason' }, item.reason)],
      ['Engine', (item) => h('span', { class: 'engine' }, item.engine)],
      ['Tempo', (item) => fixed(item.track.audioFeatures?.tempo), 'number tempo'],
      ['Energy', (item) => fixed(item.track.audioFeatures?.energy, 2), 'number energy'],
      ['', (item) => playButton(item, source)],
    ], radio.items, 'No tracks for this radio.')));
}
