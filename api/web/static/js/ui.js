// DOM helpers shared by the pages: elements, track cards and tables, dialogs, Chart.js charts.

/** The fields a track card shows; pages spread it into their queries. */
export const TRACK_CARD = `
fragment TrackCard on Track {
  id
  name
  primaryGenre
  artists { name }
}`;

/** An element: `h('a', { href, class, onclick }, 'text', child, [more])`; text is never parsed as HTML. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name in element && typeof value !== 'string') element[name] = value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  element.append(...children.flat(Infinity).filter((child) => child !== null && child !== undefined && child !== false)
    .map((child) => (child instanceof Node ? child : String(child))));
  return element;
}

export const artistNames = (track) => track.artists.map((artist) => artist.name).join(', ');

/** The track page's address; `source` is what a play from there is logged with. */
export function trackHref(track, source) {
  return `#/track/${track.id}${source ? `?source=${encodeURIComponent(source)}` : ''}`;
}

/** A coloured square standing in for the album art (the API has none). */
export function cover(track) {
  const hue = (Number(track.id) * 47) % 360;
  return h('div', { class: 'cover', style: `background: linear-gradient(135deg, hsl(${hue} 60% 45%), hsl(${(hue + 50) % 360} 65% 30%))` },
    track.primaryGenre ?? '');
}

/** A track card linking to its page; with a recommendation's reason and engine contributions. */
export function trackCard(track, { reason, contributions, source } = {}) {
  return h('a', { class: 'card', href: trackHref(track, source), 'data-track-id': track.id },
    cover(track),
    h('span', { class: 'name' }, track.name),
    h('span', { class: 'artists' }, artistNames(track)),
    reason && h('span', { class: 'reason' }, reason),
    contributions && h('span', { class: 'engines' },
      contributions.map((c) => `${c.engine} ${c.score.toFixed(2)}`).join(' · ')));
}

/** A shelf of cards, or `empty` when there are none. */
export function shelf(cards, empty) {
  return cards.length ? h('div', { class: 'shelf' }, cards) : notice(empty);
}

/** A table: `columns` are `[heading, cell(row, index), className?]`. */
export function table(columns, rows, empty = 'Nothing yet.') {
  if (!rows.length) return notice(empty);
  return h('table', {},
    h('thead', {}, h('tr', {}, columns.map(([heading, , className]) => h('th', { class: className }, heading)))),
    h('tbody', {}, rows.map((row, i) => h('tr', {}, columns.map(([, cell, className]) => h('td', { class: className }, cell(row, i)))))));
}

/** A track's title cell, linking to its page. */
export const trackTitle = (track) => (track ? h('a', { href: trackHref(track) }, track.name) : '(removed)');

/** Chart entries (realtime, hourly, Top 50) as the deck's table: rank, artist, title, plays. */
export function chartTable(entries, { plays = true } = {}) {
  const columns = [
    ['Rank', (e) => e.rank, 'number'],
    ['Artist', (e) => (e.track ? artistNames(e.track) : '')],
    ['Title', (e) => trackTitle(e.track)],
  ];
  if (plays) columns.push(['Plays', (e) => e.plays, 'number']);
  return table(columns, entries, 'No plays in this window yet.');
}

export const stars = (rating) => h('span', { class: 'stars', title: `${rating} of 5` }, '★'.repeat(rating) + '☆'.repeat(5 - rating));

export const notice = (text) => h('p', { class: 'notice' }, text);

export const errorBox = (error) => h('p', { class: 'error', role: 'alert' }, error.message);

/** Show the modal confirmation dialog (the deck's browser alerts); resolves when it is closed. */
export function showDialog(message) {
  const dialog = document.getElementById('dialog');
  document.getElementById('dialog-origin').textContent = `${location.host} says`;
  document.getElementById('dialog-message').textContent = message;
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener('close', resolve, { once: true }));
}

/** "women in their 20s": the audience of a "hottest for" shelf. */
export function audience(ageGroup, gender) {
  const who = { FEMALE: 'women', MALE: 'men' }[gender] ?? 'listeners';
  return `${who} in their ${ageGroup}s`;
}

/** A Chart.js chart in a fixed-height box (no animation, so screenshots show the final state). */
export function chart(type, labels, datasets, options = {}) {
  const canvas = h('canvas', { role: 'img' });
  const box = h('div', { class: 'chart-box' }, canvas);
  // Chart.js measures its box: draw once the box is in the page.
  requestAnimationFrame(() => new window.Chart(canvas, {
    type,
    data: { labels, datasets },
    options: { animation: false, responsive: true, maintainAspectRatio: false, ...options },
  }));
  return box;
}

/** A labelled row of links choosing one of `options` (`[value, text, href]`), the `current` one marked. */
export function choices(id, label, options, current) {
  return h('div', { class: 'inline', id, role: 'group', 'aria-label': label }, h('span', {}, `${label}:`),
    options.map(([value, text, href]) => h('a', {
      class: value === current ? 'button' : 'button secondary', href, 'data-value': value, 'aria-current': value === current ? 'true' : null,
    }, text)));
}

/** A white panel with a heading. */
export const panel = (title, ...content) => h('div', { class: 'panel' }, h('h2', {}, title), ...content);

/** `YYYY-MM-DD` of a Date in UTC (the API's days are UTC days). */
export const isoDay = (moment) => moment.toISOString().slice(0, 10);

/** A window start shown in the browser's time zone, e.g. "2024-01-04 14:00". */
export function localHour(iso) {
  const moment = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())} ${pad(moment.getHours())}:00`;
}
