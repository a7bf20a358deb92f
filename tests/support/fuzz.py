"""Fuzzing the GraphQL API with schemathesis: seeded data, dictionaries of real values, and a
bounded, deterministic run that checks every answer.

Schemathesis generates the operations (one root field each, positive and negative); they are
posted through the app's ``TestClient``, so the app runs in-process inside its lifespan.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import schemathesis
import sqlalchemy as sa
from graphql import (
    ArgumentNode,
    GraphQLSchema,
    NameNode,
    OperationDefinitionNode,
    TypeInfo,
    TypeInfoVisitor,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    parse,
    parse_type,
    print_ast,
    value_from_ast_untyped,
    visit,
)
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode
from starlette.testclient import TestClient

from api.pagination import encode_cursor
from domain.accounts.tables import User
from domain.catalog.tables import Artist, Track
from domain.playlists.tables import Playlist
from domain.settings import AuthSettings, EngineWeight, RecommenderSettings, Settings
from jobs.charts import aggregate_charts
from jobs.stats import aggregate_overall_stats, aggregate_user_stats
from tests.support.accounts import FAST_AUTH, LOG_IN, PASSWORD, make_user
from tests.support.activity import add_plays
from tests.support.catalog import load_known_catalog
from tests.support.demo import FAST_ENGINES, seed_small_demo
from tests.support.settings import make_settings

NICKNAME = "fuzzer"
SIGN_OUT = "Mutation.logOut"
# What no answer may carry: a Python traceback, an exception's class or repr, a driver's name.
LEAKS = re.compile(r"Traceback|File \"|<class '|object at 0x|\b[A-Z]\w*(?:Error|Exception)\b|sqlalchemy|psycopg"
                   r"|sqlite3")
NON_NULL_BROKEN = "Cannot return null for non-nullable field"


def fuzz_settings(db_url: str, tmp_path) -> Settings:
    """Test settings that mix the fast engines, with cheap argon2 and no practical log-in throttle.

    Every failed logIn the fuzzer sends counts against the client address it shares with the
    signed-in pass, which logs in again after each logOut.
    """
    return make_settings(db_url, tmp_path, auth=AuthSettings(**FAST_AUTH, login_max_failures=1_000_000),
                         recommenders=RecommenderSettings(
                             default_mix=[EngineWeight(engine=n, weight=1.0) for n in FAST_ENGINES]))


def seed_fuzz_data(engine, url: str) -> None:
    """The small demo and the known catalog, the fuzzing listener with plays and ratings, and
    charts and stats aggregated over them."""
    now = datetime.now(UTC).replace(microsecond=0)
    seed_small_demo(engine)
    load_known_catalog(engine)
    user_id, _ = make_user(engine, NICKNAME)
    with engine.begin() as conn:
        tracks = list(conn.execute(sa.select(Track.id).order_by(Track.id).limit(12)).scalars())
    add_plays(engine, [(user_id, t, now - timedelta(days=i % 3, hours=i)) for i, t in enumerate(tracks)])
    aggregate_charts(full=True, database_url=url)
    for days_ago in (0, 1, 2):
        day = (now - timedelta(days=days_ago)).date().isoformat()
        aggregate_user_stats(day, database_url=url)
        aggregate_overall_stats(day, database_url=url)


def log_in(client: TestClient, nickname: str = NICKNAME) -> str:
    """A bearer token from the logIn mutation."""
    response = client.post("/graphql", json={"query": LOG_IN, "variables": {"nickname": nickname,
                                                                               "password": PASSWORD}})
    return response.json()["data"]["logIn"]["token"]


def _pages(client: TestClient, token: str, query: str, path: tuple[str, ...]) -> list[str]:
    """The cursors of ``query``'s connection at ``path``."""
    body = client.post("/graphql", json={"query": query}, headers={"authorization": f"Bearer {token}"}).json()
    node = body["data"]
    for key in path:
        node = node[key]
    return [edge["cursor"] for edge in node["edges"]]


def real_values(engine, client: TestClient, token: str) -> dict[str, list]:
    """Values the fuzzer mixes into its arguments so that operations reach stored rows: ids
    (database and Spotify), cursors, genres, search words, engine names, page sizes."""
    with engine.connect() as conn:
        tracks = conn.execute(sa.select(Track.id, Track.spotify_id).order_by(Track.id).limit(6)).all()
        artists = conn.execute(sa.select(Artist.id, Artist.spotify_id).order_by(Artist.id).limit(3)).all()
        playlists = dict(conn.execute(sa.select(User.nickname, sa.func.min(Playlist.id)).join(User).where(
            User.nickname.in_([NICKNAME, "listener0000"])).group_by(User.nickname)).all())
    ids = [str(v) for row in (*tracks, *artists) for v in row] + [str(p) for p in playlists.values()]
    cursors = _pages(client, token, "{ tracks(first: 3) { edges { cursor } } }", ("tracks",))
    cursors += _pages(client, token, "{ myPlaylists { edges { cursor } } }", ("myPlaylists",))
    cursors += _pages(client, token, "{ playlist(id: \"%d\") { items(first: 3) { edges { cursor } } } }"
                      % playlists[NICKNAME], ("playlist", "items"))
    return {
        "ids": ids,
        # the ends of the id columns (32 bits on PostgreSQL) and of the id rule (64 bits)
        "edge_ids": [*ids, "0", "-1", *(str(n) for n in (2**31 - 1, 2**31, 2**63 - 1, 2**63))],
        "cursors": [*cursors, "", encode_cursor(), encode_cursor(1, 2), encode_cursor(None),
                    encode_cursor(1, 2**31), encode_cursor(2**31)],
        "genres": ["k-pop", "pop", "rock", "metal", "jazz", ""],
        "words": ["iu", "iu eight", "eight", "Filler Song", "Song 1", "a b c d e f g h i", "%", "_", "'"],
        "engines": [*FAST_ENGINES, "ease", "ncf", "nope"],
        "mixes": ["default", "learned", "nope"],
        "nicknames": [NICKNAME, "listener0000", "nobody"],
        "passwords": [PASSWORD, "wrong password"],
        "sources": ["track_page", "recommendation:default", "recommendation:"],
        "pages": [1, 2, 3, 5, 10, 20, 50, 100, 0, 101, -1, 2**31 - 1],
        "ratings": [0, 3, 5, 6, -1],
    }


# Which dictionary each argument draws from (``<Type>.<field>.<argument>``, ``*`` for any).
BINDINGS = {
    "*.*.id": "edge_ids", "*.*.playlistId": "edge_ids", "Mutation.*.trackId": "edge_ids",
    "Mutation.recordPlays.events[*].trackId": "edge_ids",
    "Query.similarTracks.trackId": "edge_ids", "Query.recommendations.seedTrackIds[*]": "edge_ids",
    "*.*.after": "cursors", "Query.tracks.genre": "genres", "Query.tracks.search": "words",
    "Mutation.retrain.engine": "engines", "Query.recommendations.mix[*].engine": "engines",
    "Query.recommendations.mixName": "mixes", "*.*.nickname": "nicknames", "Mutation.logIn.password": "passwords",
    "*.*.source": "sources", "Mutation.recordPlays.events[*].source": "sources",
    "*.*.first": "pages", "*.*.k": "pages", "*.*.top": "pages", "Query.recommendations.maxPerArtist": "pages",
    "Query.recommendations.skipPlayedDays": "pages", "Mutation.addToPlaylist.rating": "ratings",
}


def fuzz_config(values: dict[str, list], probability: float = 0.85) -> SchemathesisConfig:
    """Schemathesis settings: ``values`` as dictionaries, each drawn with ``probability``."""
    return SchemathesisConfig.from_dict({
        "dictionaries": {name: {"values": entries} for name, entries in values.items()},
        "parameters": {key: {"dictionary": name, "probability": probability} for key, name in BINDINGS.items()},
    })


def load_schema(client: TestClient, config: SchemathesisConfig) -> schemathesis.graphql.schemas.GraphQLSchema:
    """The app's schema as schemathesis sees it (by introspection)."""
    introspection = client.post("/graphql", json={"query": schemathesis.graphql.loaders.get_introspection_query()})
    return schemathesis.graphql.from_dict(introspection.json(), config=config)


class _Hoist(Visitor):
    """Replaces each argument literal by a variable of the argument's type."""

    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info
        self.values: dict[str, object] = {}
        self.definitions: list[VariableDefinitionNode] = []

    def enter_argument(self, node: ArgumentNode, *_args):
        argument = self.type_info.get_argument()
        if argument is None:
            return None
        variable = VariableNode(name=NameNode(value=f"v{len(self.values)}"))
        self.values[variable.name.value] = value_from_ast_untyped(node.value)
        self.definitions.append(VariableDefinitionNode(variable=variable, type=parse_type(str(argument.type)),
                                                       directives=()))
        return ArgumentNode(name=node.name, value=variable)


def with_variables(query: str, schema: GraphQLSchema) -> tuple[str, dict[str, object]]:
    """``query`` with its argument literals moved into variables, and their values: the same
    operation through variable coercion instead of literal parsing."""
    type_info = TypeInfo(schema)
    hoist = _Hoist(type_info)
    document = visit(parse(query), TypeInfoVisitor(type_info, hoist))
    definitions = tuple(
        dataclasses.replace(d, variable_definitions=tuple(hoist.definitions))
        if isinstance(d, OperationDefinitionNode) else d for d in document.definitions)
    return print_ast(dataclasses.replace(document, definitions=definitions)), hoist.values


def problems_of(status: int, text: str, body: dict | None) -> list[str]:
    """What is wrong with one answer: a 5xx, a body that is not GraphQL, an error without
    ``extensions.code`` or with INTERNAL_SERVER_ERROR, a broken non-null field, a leaked traceback."""
    found = []
    if status >= 500:
        found.append(f"HTTP {status}")
    if "Traceback" in text:
        found.append("a traceback in the response")
    if not isinstance(body, dict):
        return [*found, "not a JSON object"]
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        message = str(error.get("message", ""))
        if not code:
            found.append(f"no extensions.code: {message!r}")
        elif code == "INTERNAL_SERVER_ERROR":
            found.append(f"INTERNAL_SERVER_ERROR: {message!r}")
        if NON_NULL_BROKEN in message:
            found.append(f"broken non-null field: {message!r}")
        leak = LEAKS.search(str(error))
        if leak:
            found.append(f"leaks {leak.group()!r}: {message!r}")
    return found


@dataclass
class FuzzReport:
    """Operations run, counted by HTTP status and by outcome (``data`` or the first error code)."""

    statuses: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def operations(self) -> int:
        return sum(self.statuses.values())

    def record(self, label: str, query: str, status: int, text: str, body: dict | None) -> None:
        self.statuses[status] += 1
        errors = body.get("errors") if isinstance(body, dict) else None
        self.outcomes[(errors[0].get("extensions") or {}).get("code", "no code") if errors else "data"] += 1
        self.problems += [f"{label}: {p}\n    {query}" for p in problems_of(status, text, body)]

    def __add__(self, other: FuzzReport) -> FuzzReport:
        return FuzzReport(self.statuses + other.statuses, self.outcomes + other.outcomes,
                          self.problems + other.problems, self.seconds + other.seconds)

    def summary(self, title: str) -> str:
        by_status = ", ".join(f"HTTP {s}: {n}" for s, n in sorted(self.statuses.items()))
        by_outcome = ", ".join(f"{o}: {n}" for o, n in self.outcomes.most_common())
        return (f"{title}: {self.operations} operations in {self.seconds:.1f} s ({by_status}); {by_outcome}; "
                f"{len(self.problems)} problems")


def fuzz(client: TestClient, schema, *, positive: int, negative: int,
         sign_in: Callable[[], str] | None = None) -> FuzzReport:
    """Run up to ``positive`` + ``negative`` generated cases of every query and mutation
    (schemathesis leaves out subscriptions, which HTTP refuses), every other one through variables.

    With ``sign_in`` the requests carry its token, taken again after every ``logOut``.
    Derandomized and without an example database, so every run sends the same operations.
    """
    report = FuzzReport()
    token = sign_in() if sign_in else None
    started = time.perf_counter()

    def send(case) -> None:
        nonlocal token
        label = case.operation.label
        query, variables = case.body, None
        if report.operations % 2:
            query, variables = with_variables(query, schema.client_schema)
        headers = {"content-type": "application/json", **({"authorization": f"Bearer {token}"} if token else {})}
        try:  # ASCII JSON, so that any string the generator makes can travel
            response = client.post("/graphql", content=json.dumps({"query": query, "variables": variables}),
                                   headers=headers)
        except Exception as exc:  # noqa: BLE001 - the app raised instead of answering: a 500
            report.record(label, query, 500, repr(exc), None)
            return
        try:
            body = response.json()
        except ValueError:
            body = None
        report.record(label, f"{query} {variables or ''}", response.status_code, response.text, body)
        if sign_in and label == SIGN_OUT:
            token = sign_in()

    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, examples in ((GenerationMode.POSITIVE, positive), (GenerationMode.NEGATIVE, negative)):
            if examples:
                run = settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                               phases=[Phase.generate], suppress_health_check=list(HealthCheck))(
                    given(case=operation.as_strategy(generation_mode=mode))(send))
                run()
    report.seconds += time.perf_counter() - started
    return report
