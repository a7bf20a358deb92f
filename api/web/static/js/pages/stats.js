// Overall statistics of a day: listeners now, users by age group, gender ratio, plays by genre,
// and today's most played artists and tracks.

import { gql } from '../graphql.js';
import { TRACK_CARD, chart, h, isoDay, notice, panel, table, trackTitle } from '../ui.js';

const OVERALL = `
query OverallStats($day: Date) {
  overallStats(day: $day) {
    day
    asOf
    plays
    activeUsers
    users
    usersByAgeGroup { ageGroup users }
    genderRatio { gender users share }
    playsByGenre { genre plays }
    topArtists { plays artist { id name } }
    topTracks { plays track { ...TrackCard } }
  }
}
${TRACK_CARD}`;

const GENDER_NAMES = { FEMALE: 'Women', MALE: 'Men', OTHER: 'Other' };

export async function render(root, { params }) {
  const day = params.get('day') || isoDay(new Date());
  const { overallStats: stats } = await gql(OVERALL, { day });
  const picker = h('form', { class: 'inline', onsubmit: (event) => {
    event.preventDefault();
    location.hash = `#/stats?day=${new FormData(event.target).get('day')}`;
  } }, h('label', {}, 'Day (UTC) ', h('input', { type: 'date', name: 'day', value: day })), h('button', { type: 'submit' }, 'Show'));
  if (!stats) {
    root.append(picker, notice(`No statistics for ${day} yet: they are counted every 100 s while the app runs.`));
    return;
  }
  root.append(picker,
    h('p', { class: 'muted' }, `${stats.day} · ${stats.plays} plays · ${stats.users} users · as of ${new Date(stats.asOf).toLocaleTimeString()}`),
    h('div', { class: 'grid-2' },
      panel('Listening now', h('div', { class: 'big-number', id: 'active-users' }, stats.activeUsers),
        h('p', { class: 'muted' }, 'listeners in the last 5 minutes')),
      panel('Users by age group', chart('bar', stats.usersByAgeGroup.map((g) => `${g.ageGroup}s`),
        [{ label: 'Users', data: stats.usersByAgeGroup.map((g) => g.users), backgroundColor: '#2f5bea' }],
        { plugins: { legend: { display: false } } })),
      panel('Gender ratio', chart('doughnut', stats.genderRatio.map((g) => GENDER_NAMES[g.gender] ?? g.gender),
        [{ data: stats.genderRatio.map((g) => Math.round(g.share * 1000) / 10) }],
        { plugins: { tooltip: { callbacks: { label: (item) => `${item.label}: ${item.raw}%` } } } })),
      panel('Plays by genre', chart('pie', stats.playsByGenre.map((g) => g.genre),
        [{ data: stats.playsByGenre.map((g) => g.plays) }], { plugins: { legend: { position: 'right' } } })),
      panel('Most played artists today', table([
        ['Artist', (row) => row.artist?.name ?? '(removed)'], ['Plays', (row) => row.plays, 'number']], stats.topArtists)),
      panel('Most played tracks today', table([
        ['Title', (row) => trackTitle(row.track)], ['Plays', (row) => row.plays, 'number']], stats.topTracks))));
}
