// Main: the tracks I played most (last 30 days) and "recommended for you" from the default mix,
// each with the reason the mix gives and every engine's contribution.

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
}
${TRACK_CARD}`;

const DAYS = 30;

export async function render(root) {
  const today = new Date();
  const from = new Date(today.getTime() - DAYS * 86400e3);
  const { me, myStats, recommendations } = await gql(MAIN, { from: isoDay(from), to: isoDay(today) });
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
      'No recommendations yet.')));
}
