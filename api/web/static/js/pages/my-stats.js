// My statistics over a range of days: plays per weekday and per hour, genre shares, and the
// artists and tracks I played most (counted daily, up to yesterday).

import { gql } from '../graphql.js';
import { TRACK_CARD, chart, h, isoDay, panel, table, trackTitle } from '../ui.js';

const MY_STATS = `
query MyStats($from: Date!, $to: Date!) {
  myStats(from: $from, to: $to, top: 10) {
    from
    to
    plays
    daysActive
    playsPerWeekday
    playsPerHour
    topGenres { genre plays }
    topArtists { plays artist { id name } }
    topTracks { plays track { ...TrackCard } }
  }
}
${TRACK_CARD}`;

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const DEFAULT_DAYS = 30;
const BLUE = '#2f5bea';

export async function render(root, { params }) {
  const today = new Date();
  const to = params.get('to') || isoDay(today);
  const from = params.get('from') || isoDay(new Date(today.getTime() - DEFAULT_DAYS * 86400e3));
  const { myStats: stats } = await gql(MY_STATS, { from, to });
  const range = h('form', { class: 'inline', onsubmit: (event) => {
    event.preventDefault();
    const values = new FormData(event.target);
    location.hash = `#/my-stats?from=${values.get('from')}&to=${values.get('to')}`;
  } },
  h('label', {}, 'From ', h('input', { type: 'date', name: 'from', value: from })),
  h('label', {}, 'to ', h('input', { type: 'date', name: 'to', value: to })),
  h('button', { type: 'submit' }, 'Show'));
  const noLegend = { plugins: { legend: { display: false } } };
  root.append(range,
    h('p', { class: 'muted', id: 'my-totals' }, `${stats.plays} plays on ${stats.daysActive} days, ${stats.from} to ${stats.to} (UTC; today counts from tomorrow).`),
    h('div', { class: 'grid-2' },
      panel('Plays per weekday', chart('bar', WEEKDAYS, [{ label: 'Plays', data: stats.playsPerWeekday, backgroundColor: BLUE }], noLegend)),
      panel('Plays per hour (UTC)', chart('bar', stats.playsPerHour.map((_, hour) => hour),
        [{ label: 'Plays', data: stats.playsPerHour, backgroundColor: BLUE }], noLegend)),
      panel('Genres I play', chart('doughnut', stats.topGenres.map((g) => g.genre),
        [{ data: stats.topGenres.map((g) => g.plays) }], { plugins: { legend: { position: 'right' } } })),
      panel('My top artists', table([
        ['Artist', (row) => row.artist?.name ?? '(removed)'], ['Plays', (row) => row.plays, 'number']], stats.topArtists)),
      panel('My top tracks', table([
        ['Title', (row) => trackTitle(row.track)], ['Plays', (row) => row.plays, 'number']], stats.topTracks))));
}
