"""Assembles the GraphQL schema from the per-domain query, mutation and subscription types."""

from __future__ import annotations

from functools import partial

import strawberry
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter, ValidationCache

from api.accounts.mutations import AccountMutation
from api.accounts.queries import AccountQuery
from api.catalog.queries import CatalogQuery
from api.charts.queries import ChartQuery
from api.charts.subscriptions import Subscription
from api.cost import QueryCostLimiter
from api.experiments.queries import ExperimentQuery
from api.extensions import DocumentCache, ErrorCodes, Schema
from api.inputs import SCALAR_OVERRIDES, DocumentTextGuard, InputGuard
from api.jobs.mutations import JobMutation
from api.jobs.queries import JobQuery
from api.listeners.queries import ListenerQuery
from api.playlists.mutations import PlaylistMutation
from api.playlists.queries import PlaylistQuery
from api.plays.mutations import PlayMutation
from api.recommendations.queries import RecommendationQuery
from api.recommendations.radio import RadioQuery
from api.stats.queries import StatsQuery
from domain.settings import ApiSettings


@strawberry.type
class Query(CatalogQuery, AccountQuery, PlaylistQuery, RecommendationQuery, RadioQuery, ChartQuery, StatsQuery,
            JobQuery, ExperimentQuery, ListenerQuery):
    """Every query of 4.5Hz."""


@strawberry.type
class Mutation(AccountMutation, PlaylistMutation, PlayMutation, JobMutation):
    """Every mutation of 4.5Hz."""


VALIDATED_DOCUMENTS = 512


def build_schema(limits: ApiSettings | None = None) -> strawberry.Schema:
    """The schema with its input rules, query limits (depth, aliases, tokens, cost) and error handling."""
    limits = limits or ApiSettings()
    return Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        scalar_overrides=SCALAR_OVERRIDES,
        extensions=[
            DocumentTextGuard,
            # Clients send the same documents again and again (only variables change): parse and
            # validate each once (about 1.7 ms of a recommendations request for the validation,
            # 13% of GraphQL's own work for the parse). InputGuard checks every request's
            # variables after the (cached) validation; the parse cache is keyed by the text and
            # the token limit, so MaxTokensLimiter still applies to a new text.
            DocumentCache(maxsize=VALIDATED_DOCUMENTS),
            ValidationCache(maxsize=VALIDATED_DOCUMENTS),
            InputGuard,
            partial(QueryCostLimiter, max_cost=limits.max_query_cost, default_page_size=limits.default_page_size,
                    max_page_size=limits.max_page_size),
            QueryDepthLimiter(max_depth=limits.max_query_depth),
            MaxAliasesLimiter(max_alias_count=limits.max_aliases),
            MaxTokensLimiter(max_token_count=limits.max_query_tokens),
            ErrorCodes,
        ],
    )


schema = build_schema()
