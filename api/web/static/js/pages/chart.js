// 4.5Hz chart: the current hour's chart, kept live by the chartUpdated subscription, and an
// hour picker over the windows with plays in the last day (the deck's hourly charts).

import { gql, subscribe } from '../graphql.js';
import { TRACK_CARD, chartTable, errorBox, h, localHour, notice, panel } from '../ui.js';

const CHART_FIELDS = `
  windowStart
  entries { rank plays track { ...TrackCard } }`;

const LIVE = `
subscription LiveChart {
  chartUpdated(kind: REALTIME, first: 50) {${CHART_FIELDS}
  }
}
${TRACK_CARD}`;

const WINDOWS = `
query ChartWindows($from: DateTime!, $to: DateTime!) {
  chartWindows(from: $from, to: $to) { windowStart plays tracks }
}`;

const HOURLY = `
query HourlyChart($at: DateTime!) {
  chart(kind: HOURLY, at: $at, first: 50) {${CHART_FIELDS}
  }
}
${TRACK_CARD}`;

const HOURS_BACK = 24;

function realtimePanel() {
  const heading = h('h2', {}, 'Realtime');
  const status = h('span', { class: 'live', id: 'live-status' }, 'connecting…');
  const body = h('div', { id: 'realtime' });
  let updates = 0;
  const element = h('div', { class: 'panel', id: 'realtime-panel', 'data-updates': '0' }, heading, status, body);
  return {
    element,
    show(chart) {
      updates += 1;
      element.dataset.updates = String(updates);
      heading.textContent = `Realtime · as of ${localHour(chart.windowStart)}`;
      status.textContent = `live · updated ${new Date().toLocaleTimeString()}`;
      body.replaceChildren(chartTable(chart.entries));
    },
    fail(error) {
      status.classList.add('stopped');
      status.textContent = 'stopped';
      body.prepend(errorBox(error));
    },
  };
}

async function hourPicker() {
  const now = new Date();
  const to = new Date(now.getTime() + 3600e3);
  const from = new Date(now.getTime() - HOURS_BACK * 3600e3);
  const { chartWindows } = await gql(WINDOWS, { from: from.toISOString(), to: to.toISOString() });
  const result = h('div', { id: 'hourly' });
  const select = h('select', { name: 'window', 'aria-label': 'Hour' },
    [...chartWindows].reverse().map((w) => h('option', { value: w.windowStart }, `${localHour(w.windowStart)} · ${w.plays} plays`)));
  const show = async () => {
    const { chart } = await gql(HOURLY, { at: select.value });
    result.replaceChildren(h('h2', {}, `${localHour(chart.windowStart)} chart`), chartTable(chart.entries));
  };
  if (!chartWindows.length) return panel('Hourly charts', notice(`No plays in the last ${HOURS_BACK} hours.`));
  return panel('Hourly charts',
    h('form', { class: 'inline', id: 'hour-picker', onsubmit: (event) => { event.preventDefault(); show(); } },
      h('label', {}, 'Choose an hour ', select), h('button', { type: 'submit' }, 'Show')),
    result);
}

export async function render(root) {
  const live = realtimePanel();
  let first;
  const firstChart = new Promise((resolve) => { first = resolve; });
  const stop = subscribe(LIVE, {}, {
    next: ({ chartUpdated }) => { live.show(chartUpdated); first(); },
    error: (error) => { live.fail(error); first(); },
  });
  try {
    root.append(h('p', { class: 'muted' }, 'Plays are counted in hourly windows; the realtime chart updates itself after each count (every 100 s).'),
      h('div', { class: 'grid-2' }, live.element, await hourPicker()));
    await firstChart;
  } catch (error) {
    stop();
    throw error;
  }
  return stop;
}
