// My statistics over a range of days: plays per weekday and per hour, genre shares, and the
// artists and tracks I played most (counted daily, up to yesterday). A named range (this week,
// the last week, month or year, all time) reads the listening rollups instead, which are kept up
// to date every few minutes and counted in my time zone.

import { gql } from '../graphql.js';
import { TRACK_CARD, chart, choices, h, isoDay, panel, table, trackTitle } from '../ui.js';

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

const MY_LISTENING = `
query MyListening($range: StatsRange!) {
  myListening(range: $range) {
    range
    from
    to
    timeZone
    granularity
    asOf
    plays
    activity { start plays }
    topGenres(first: 8) { edges { node { genre plays } } }
    topArtists(first: 10) { edges { node { plays artist { id name } } } }
    topTracks(first: 10) { edges { node { plays track { ...TrackCard } } } }
  }
}
${TRACK_CARD}`;

const RANGES = [['THIS_WEEK', 'This week'], ['WEEK', 'Last week'], ['MONTH', 'Last month'], ['YEAR', 'Last year'], ['ALL_TIME', 'All time']];
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const DEFAULT_DAYS = 30;
const BLUE = '#2f5bea';

const noLegend = { plugins: { legend: { display: false } } };
const nodes = (connection) => connection.edges.map((edge) => edge.node);

/** The named ranges, and "Days…" for the daily statistics' own from/to form. */
function rangePicker(current) {
  return choices('range-picker', 'Range', [...RANGES.map(([value, label]) => [value, label, `#/my-stats?range=${value}`]),
    ['DAYS', 'Days…', '#/my-stats']], current);
}

/** An activity bucket's label: a day, a month ("2024-05") or a year. */
function bucketLabel(start, granularity) {
  return { DAY: start, MONTH: start.slice(0, 7), YEAR: start.slice(0, 4) }[granularity] ?? start;
}

async function renderRange(root, range) {
  const { myListening: stats } = await gql(MY_LISTENING, { range });
  const asOf = stats.asOf ? `, as of ${new Date(stats.asOf).toLocaleString()}` : '';
  const genres = nodes(stats.topGenres);
  root.dataset.range = stats.range;
  root.append(rangePicker(stats.range),
    h('p', { class: 'muted', id: 'my-totals' }, `${stats.plays} plays, ${stats.from} to ${stats.to} (${stats.timeZone}${asOf}).`),
    h('div', { class: 'grid-2' },
      panel('Plays over time', chart('bar', stats.activity.map((bucket) => bucketLabel(bucket.start, stats.granularity)),
        [{ label: 'Plays', data: stats.activity.map((bucket) => bucket.plays), backgroundColor: BLUE }], noLegend)),
      panel('Genres I play', chart('doughnut', genres.map((g) => g.genre),
        [{ data: genres.map((g) => g.plays) }], { plugins: { legend: { position: 'right' } } })),
      panel('My top artists', table([
        ['Artist', (row) => row.artist?.name ?? '(removed)'], ['Plays', (row) => row.plays, 'number']], nodes(stats.topArtists))),
      panel('My top tracks', table([
        ['Title', (row) => trackTitle(row.track)], ['Plays', (row) => row.plays, 'number']], nodes(stats.topTracks)))));
}

export async function render(root, { params }) {
  const named = params.get('range');
  if (named) {
    await renderRange(root, named);
    return;
  }
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
  root.append(rangePicker('DAYS'), range,
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
