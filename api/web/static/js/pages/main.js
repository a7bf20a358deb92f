// Main: the tracks I played most (last 30 days), "recommended for you" from the default mix,
// each with the reason the mix gives and every engine's contribution, and the listeners most
// like me (computed daily) with the artists we share.

import { gql } from '../graphql.js';
import { TRACK_CARD, h, isoDay, shelf, table, trackCard, trackTitle } from '../ui.js';

const MAIN = `
query Main($from: Date!, $to: Date!) {
  me { name }
  myStats(from: $from, to: $to, top: 10) {
    topTracks { plays track { ...TrackCard } }
  }
  recommendations(k: 8) {
    mixId
    items {
      score
      reason
      contributions { engine score }
      track { ...TrackCard }
    }
  }
  similarUsers(k: 5) {
    user { id nickname }
    similarity
    sharedArtists
  }
}
${TRACK_CARD}`;

const DAYS = 30;

export async function render(root) {
  const today = new Date();
  const from = new Date(today.getTime() - DAYS * 86400e3);
  const { me, myStats, recommendations, similarUsers } = await gql(MAIN, { from: isoDay(from), to: isoDay(today) });
  const source = `recommendation:${recommendations.mixId}`;
  root.append(
    h('h2', {}, 'Top tracks'),
    h('p', { class: 'muted' }, `Your most played tracks of the last ${DAYS} days (counted daily, up to yesterday).`),
    table([
      ['Rank', (row) => row.rank, 'number'],
      ['Title', (row) => trackTitle(row.track)],
      ['Streams', (row) => row.plays, 'number'],
    ], myStats.topTracks.map((row, i) => ({ ...row, rank: i + 1 })), 'No plays counted yet: play some tracks, they count from tomorrow.'),
    h('h2', {}, `Recommended for ${me.name}`),
    h('p', { class: 'muted' }, `Mix “${recommendations.mixId}”: each card says why, and what each engine added.`),
    h('div', { id: 'recommended' }, shelf(recommendations.items.map((item) => trackCard(item.track, { ...item, source })),
      'No recommendations yet.')),
    h('h2', {}, 'Listeners like you'),
    h('p', { class: 'muted' }, 'Who plays the same tracks as you in the same proportions (last 90 days, computed daily).'),
    h('div', { id: 'similar-listeners' }, table([
      ['Listener', (row) => row.user.nickname],
      ['Similarity', (row) => `${Math.round(row.similarity * 100)}%`, 'number'],
      ['Artists you share', (row) => row.sharedArtists.join(', ')],
    ], similarUsers, 'Listen a little more to find listeners like you: they are found once a day.')));
}
