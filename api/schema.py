"""Assembles the GraphQL schema from the per-domain query, mutation and subscription types."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter

from api.extensions import ErrorCodes
from api.mutations.accounts import AccountMutation
from api.mutations.jobs import JobMutation
from api.mutations.playlists import PlaylistMutation
from api.mutations.plays import PlayMutation
from api.queries.accounts import AccountQuery
from api.queries.catalog import CatalogQuery
from api.queries.charts import ChartQuery
from api.queries.jobs import JobQuery
from api.queries.recommendations import RecommendationQuery
from api.queries.stats import StatsQuery
from api.settings import ApiSettings
from api.subscriptions import Subscription


@strawberry.type
class Query(CatalogQuery, AccountQuery, RecommendationQuery, ChartQuery, StatsQuery, JobQuery):
    """Every query of 4.5Hz."""


@strawberry.type
class Mutation(AccountMutation, PlaylistMutation, PlayMutation, JobMutation):
    """Every mutation of 4.5Hz."""


class Schema(strawberry.Schema):
    """Logs only unexpected errors; client errors (coded or invalid queries) are not news."""

    def process_errors(self, errors, execution_context=None) -> None:
        unexpected = [
            e for e in errors
            if e.original_error is not None and not isinstance(e.original_error, GraphQLError)
        ]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema(limits: ApiSettings | None = None) -> strawberry.Schema:
    """The schema with its query limits (depth, aliases, tokens) and error handling."""
    limits = limits or ApiSettings()
    return Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[
            QueryDepthLimiter(max_depth=limits.max_query_depth),
            MaxAliasesLimiter(max_alias_count=limits.max_aliases),
            MaxTokensLimiter(max_token_count=limits.max_query_tokens),
            ErrorCodes,
        ],
    )


schema = build_schema()
