"""experimentReport end to end: users split between two arms are served recommendations, the
impressions go through the app's buffer, a simulated fraction of them is played at known true
rates, and the report's counts, intervals and test are checked against what was served and played."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from domain.db import create_db_engine
from domain.experiments.tables import RecommendationImpression
from domain.settings import EngineWeight, RecommenderSettings
from jobs.retrain import train_engines
from tests.support.accounts import sign_in, user_with_token
from tests.support.activity import add_plays, seed_activity
from tests.support.demo import small_demo_database
from tests.support.graphql import error_codes, graphql_client
from tests.support.settings import make_settings

EXPERIMENT = "ptr"
TRUE_RATES = {"control": 0.30, "treatment": 0.15}
USERS = range(1, 121)
K = 10
RECOMMEND = "query($k: Int!) { recommendations(k: $k) { mixId items { track { id } } } }"
RECORD = "mutation($events: [PlayInput!]!) { recordPlays(events: $events) { id } }"
REPORT = """
query($experiment: String!, $from: Date!, $to: Date!) {
  experimentReport(experiment: $experiment, from: $from, to: $to) {
    experiment from to attributionHours control
    arms {
      arm mixId users impressions plays playedImpressions playThroughRate
      playThroughInterval { low high }
      versusControl { control difference interval { low high } pValue }
    }
  }
}
"""


def experiment_settings(url, tmp_path, **recommenders):
    arms = {
        "control": [EngineWeight(engine="demographic_popular", weight=1.0)],
        "treatment": [EngineWeight(engine="demographic_popular", weight=1.0),
                      EngineWeight(engine="content_gmm", weight=0.5)],
    }
    config = RecommenderSettings(
        default_mix=[EngineWeight(engine="demographic_popular", weight=1.0)], experiments={EXPERIMENT: arms},
        active_experiment=EXPERIMENT, experiment_controls={EXPERIMENT: "control"}, **recommenders)
    return make_settings(url, tmp_path, recommenders=config)


def days_around_now() -> dict:
    today = datetime.now(UTC).date()
    return {"from": str(today - timedelta(days=1)), "to": str(today + timedelta(days=1))}


def by_arm(report: dict) -> dict[str, dict]:
    return {a["arm"]: a for a in report["arms"]}


@pytest.fixture(scope="module")
def experiment(tmp_path_factory, sqlite_template):
    """Serve USERS, play a seeded TRUE_RATES fraction of each arm's impressions, ask for the report."""
    directory = tmp_path_factory.mktemp("experiment")
    url, engine = small_demo_database(directory, sqlite_template)
    settings = experiment_settings(url, directory)
    train_engines(["demographic_popular", "content_gmm"], settings=settings, db_engine=engine)
    rng = np.random.default_rng(45)
    expected = {arm: {"users": 0, "impressions": 0, "plays": 0, "playedImpressions": 0} for arm in TRUE_RATES}
    served = {}
    _, admin = user_with_token(engine, "boss", admin=True)
    with graphql_client(settings) as client:
        for user in USERS:
            answer = client.gql(RECOMMEND, token=sign_in(engine, user), k=K)["data"]["recommendations"]
            served[user] = answer["mixId"], [int(i["track"]["id"]) for i in answer["items"]]
        client.client.app.state.impressions.flush()  # rather than waiting for the writer's next round
        now = datetime.now(UTC)
        late = []
        for user, (mix, tracks) in served.items():
            arm = mix.removeprefix(f"{EXPERIMENT}:")
            counts = expected[arm]
            counts["users"] += 1
            counts["impressions"] += len(tracks)
            source = f"recommendation:{mix}"
            played = [t for t in tracks if rng.random() < TRUE_RATES[arm]]
            repeats = played[:1]  # a second play of one impression: a play, not another played impression
            counts["playedImpressions"] += len(played)
            counts["plays"] += len(played) + len(repeats)
            unplayed = [t for t in tracks if t not in played]
            noise = [{"trackId": str(t), "source": "track_page"} for t in unplayed[:1]]  # another source
            noise += [{"trackId": str(t), "source": "recommendation:default"} for t in unplayed[1:2]]  # another mix
            noise += [{"trackId": str(t), "source": source, "playedAt": (now - timedelta(hours=2)).isoformat()}
                      for t in unplayed[2:3]]  # before the impression
            events = [{"trackId": str(t), "source": source} for t in [*played, *repeats]] + noise
            body = client.gql(RECORD, token=sign_in(engine, user), events=events)
            assert "errors" not in body, body
            late += [(user, t, now + timedelta(hours=25)) for t in unplayed[3:4]]  # after the 24 h window
        add_plays(engine, late, source=f"recommendation:{EXPERIMENT}:control")
        add_plays(engine, late, source=f"recommendation:{EXPERIMENT}:treatment")
        # someone else playing a served track from the same list's source is not the user's play
        other = [{"trackId": str(tracks[0]), "source": f"recommendation:{mix}"} for mix, tracks in served.values()]
        assert "errors" not in client.gql(RECORD, token=admin, events=other)
        report = client.gql(REPORT, token=admin, experiment=EXPERIMENT, **days_around_now())
    yield {"url": url, "engine": engine, "settings": settings, "admin": admin, "served": served,
           "expected": expected, "report": report}
    engine.dispose()


def test_every_served_track_is_one_impression_row(experiment):
    with experiment["engine"].connect() as conn:
        rows = conn.execute(sa.select(RecommendationImpression.user_id, RecommendationImpression.mix_id,
                                      RecommendationImpression.experiment, RecommendationImpression.arm,
                                      RecommendationImpression.track_id, RecommendationImpression.position,
                                      RecommendationImpression.surface)
                            .order_by(RecommendationImpression.id)).all()
    expected = [(user, mix, EXPERIMENT, mix.split(":")[1], track, position, "recommendations")
                for user, (mix, tracks) in experiment["served"].items()
                for position, track in enumerate(tracks, start=1)]
    assert rows == expected
    assert all(len(tracks) == K for _, tracks in experiment["served"].values())


def test_report_counts_what_was_served_and_played(experiment):
    body = experiment["report"]
    assert "errors" not in body, body
    report = body["data"]["experimentReport"]
    assert report["experiment"] == EXPERIMENT and report["control"] == "control"
    assert report["attributionHours"] == 24 and report | days_around_now() == report
    arms = by_arm(report)
    assert list(arms) == ["control", "treatment"]
    for arm, counts in experiment["expected"].items():
        assert arms[arm]["mixId"] == f"{EXPERIMENT}:{arm}"
        assert {key: arms[arm][key] for key in counts} == counts
        assert counts["users"] >= 40  # the stable hash splits the users roughly evenly
        assert arms[arm]["playThroughRate"] == pytest.approx(counts["playedImpressions"] / counts["impressions"])


def test_intervals_cover_the_true_rates_and_the_difference_is_significant(experiment):
    arms = by_arm(experiment["report"]["data"]["experimentReport"])
    for arm, truth in TRUE_RATES.items():
        interval = arms[arm]["playThroughInterval"]
        assert interval["low"] < truth < interval["high"], (arm, interval)
        assert interval["high"] - interval["low"] < 0.1
    assert arms["control"]["versusControl"] is None
    versus = arms["treatment"]["versusControl"]
    assert versus["control"] == "control"
    assert versus["difference"] == pytest.approx(arms["treatment"]["playThroughRate"]
                                                 - arms["control"]["playThroughRate"])
    true_difference = TRUE_RATES["treatment"] - TRUE_RATES["control"]
    assert versus["interval"]["low"] < true_difference < versus["interval"]["high"] < 0
    assert versus["pValue"] < 1e-4


def test_days_without_impressions_report_empty_arms(experiment):
    long_ago = {"from": "2020-01-01", "to": "2020-01-31"}
    with graphql_client(experiment["settings"]) as client:
        body = client.gql(REPORT, token=experiment["admin"], experiment=EXPERIMENT, **long_ago)
    for arm in body["data"]["experimentReport"]["arms"]:
        assert (arm["users"], arm["impressions"], arm["plays"]) == (0, 0, 0)
        assert arm["playThroughRate"] is None and arm["playThroughInterval"] is None
        assert arm["versusControl"] is None


def test_report_errors(experiment):
    days = days_around_now()
    with graphql_client(experiment["settings"]) as client:
        admin = experiment["admin"]
        assert error_codes(client.gql(REPORT, token=sign_in(experiment["engine"], 1), experiment=EXPERIMENT,
                                      **days)) == ["FORBIDDEN"]
        assert error_codes(client.gql(REPORT, experiment=EXPERIMENT, **days)) == ["UNAUTHENTICATED"]
        unknown = client.gql(REPORT, token=admin, experiment="nope", **days)
        assert error_codes(unknown) == ["BAD_USER_INPUT"] and EXPERIMENT in unknown["errors"][0]["message"]
        backwards = {"from": days["to"], "to": days["from"]}
        assert error_codes(client.gql(REPORT, token=admin, experiment=EXPERIMENT, **backwards)) == ["BAD_USER_INPUT"]
        too_long = {"from": "2020-01-01", "to": "2021-01-01"}
        assert error_codes(client.gql(REPORT, token=admin, experiment=EXPERIMENT, **too_long)) == ["BAD_USER_INPUT"]


def test_attribution_window_edges_on_both_backends(db_url, tmp_path):
    """Plays at the impression, just inside and just outside the window, and before it."""
    engine = create_db_engine(db_url)
    tracks, (ana, bo, _) = seed_activity(engine)
    served = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    rows = [{"user_id": user, "mix_id": f"{EXPERIMENT}:{arm}", "experiment": EXPERIMENT, "arm": arm,
             "track_id": track, "position": position, "served_at": served, "surface": "recommendations"}
            for user, arm in ((ana, "control"), (bo, "treatment"))
            for position, track in enumerate(tracks, start=1)]
    with engine.begin() as conn:
        conn.execute(sa.insert(RecommendationImpression.__table__), rows)
    window = timedelta(hours=2)
    control = f"recommendation:{EXPERIMENT}:control"
    add_plays(engine, [(ana, tracks[0], served), (ana, tracks[1], served + window - timedelta(seconds=1)),
                       (ana, tracks[2], served + window), (ana, tracks[3], served - timedelta(seconds=1))],
              source=control)
    add_plays(engine, [(bo, tracks[0], served + timedelta(minutes=5))], source=control)  # not bo's arm
    add_plays(engine, [(bo, tracks[4], served + timedelta(minutes=5))], source=f"recommendation:{EXPERIMENT}:treatment")
    _, admin = user_with_token(engine, "boss", admin=True)
    settings = experiment_settings(db_url, tmp_path, attribution_hours=2)
    with graphql_client(settings) as client:
        body = client.gql(REPORT, token=admin, experiment=EXPERIMENT, **{"from": "2026-03-02", "to": "2026-03-02"})
        before = client.gql(REPORT, token=admin, experiment=EXPERIMENT, **{"from": "2026-03-01", "to": "2026-03-01"})
    engine.dispose()
    arms = by_arm(body["data"]["experimentReport"])
    assert [(a["users"], a["impressions"], a["plays"], a["playedImpressions"]) for a in arms.values()] == [
        (1, 5, 2, 2), (1, 5, 1, 1)]
    assert arms["control"]["playThroughRate"] == pytest.approx(0.4)
    assert arms["treatment"]["versusControl"]["difference"] == pytest.approx(-0.2)
    assert [a["impressions"] for a in before["data"]["experimentReport"]["arms"]] == [0, 0]
