// Top 50: the daily chart imported from Spotify's "Top 50 — South Korea" playlist.

import { gql } from '../graphql.js';
import { TRACK_CARD, chartTable, h, notice } from '../ui.js';

const TOP50 = `
query Top50 {
  chart(kind: TOP50, first: 50) {
    day
    entries { rank track { ...TrackCard } }
  }
}
${TRACK_CARD}`;

export async function render(root) {
  const { chart } = await gql(TOP50);
  root.append(
    h('p', { class: 'muted' }, chart.day ? `The most played tracks, updated daily · ${chart.day}`
      : 'The most played tracks, updated daily.'),
    chart.entries.length ? chartTable(chart.entries, { plays: false })
      : notice('No Top 50 imported yet (the daily import needs Spotify credentials; an admin runs importTop50).'));
}
