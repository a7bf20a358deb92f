// Music for you (the deck's music page): my playlist, "new discoveries for me" from a
// collaborative engine, and "hottest for <age group> <gender>" from the demographic engine.
// Which engines exist and are trained comes from the `engines` query.

import { gql } from '../graphql.js';
import { TRACK_CARD, audience, h, notice, shelf, trackCard } from '../ui.js';

const ENGINES = `
query Engines {
  engines { name status }
}`;

const FOR_YOU = `
query ForYou($discoveryMix: [EngineWeightInput!], $hottestMix: [EngineWeightInput!]) {
  me { name ageGroup gender }
  discoveries: recommendations(k: 6, mix: $discoveryMix, skipPlayedDays: 365) {
    mixId
    items { reason track { ...TrackCard } }
  }
  hottest: recommendations(k: 6, mix: $hottestMix) {
    mixId
    items { reason track { ...TrackCard } }
  }
  myPlaylists(first: 1) {
    edges { node { id name items(first: 6) { totalCount edges { node { rating track { ...TrackCard } } } } } }
  }
}
${TRACK_CARD}`;

// Engines that find tracks a listener has not heard from what similar listeners rate and play,
// the deck's SVD first.
const DISCOVERY_ENGINES = ['svd', 'ncf', 'als', 'item_knn', 'ease'];
const HOTTEST_ENGINE = 'demographic_popular';

const recommendationCards = (list) => list.items.map((item) => trackCard(item.track, { ...item, source: `recommendation:${list.mixId}` }));

export async function render(root) {
  const { engines } = await gql(ENGINES);
  const ready = new Set(engines.filter((e) => e.status === 'READY').map((e) => e.name));
  const discovery = DISCOVERY_ENGINES.find((name) => ready.has(name));
  const installed = new Set(engines.map((e) => e.name));
  const only = (engine) => (engine ? [{ engine, weight: 1 }] : null);
  const { me, discoveries, hottest, myPlaylists } = await gql(FOR_YOU, {
    discoveryMix: only(discovery), hottestMix: only(installed.has(HOTTEST_ENGINE) ? HOTTEST_ENGINE : null),
  });
  const playlist = myPlaylists.edges[0]?.node;
  root.append(h('div', {},
    h('h2', {}, 'My playlist'),
    playlist
      ? h('div', {}, h('p', { class: 'muted' }, h('a', { href: '#/playlists' }, playlist.name), ` · ${playlist.items.totalCount} tracks`),
        shelf(playlist.items.edges.map(({ node }) => trackCard(node.track, { reason: `rated ${node.rating} of 5` })), 'Your playlist is empty: rate tracks on their pages.'))
      : notice('No playlist yet.'),
    h('h2', {}, 'New discoveries for me'),
    h('p', { class: 'muted' }, discovery ? `Tracks you have not played, by the ${discovery} engine.`
      : 'No collaborative engine is trained yet: these come from the default mix.'),
    h('div', { id: 'discoveries' }, shelf(recommendationCards(discoveries), 'Nothing to discover yet.')),
    h('h2', {}, `Hottest for ${audience(me.ageGroup, me.gender)}`),
    installed.has(HOTTEST_ENGINE) ? null : notice(`The ${HOTTEST_ENGINE} engine is not installed: these come from the default mix.`),
    h('div', { id: 'hottest' }, shelf(recommendationCards(hottest), 'Nothing played by your group yet.'))));
}
