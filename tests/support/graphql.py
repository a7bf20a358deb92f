"""An app with its client, and a GraphQL call that returns the JSON body."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

from starlette.testclient import TestClient

from api.app import create_app
from domain.settings import Settings


class GraphQLClient:
    """Wraps a TestClient: ``gql(query, **variables)`` posts and returns the response JSON."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.token: str | None = None

    def gql(self, query: str, token: str | None = None, **variables: Any) -> dict:
        headers = {}
        token = token or self.token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self.client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()


@contextmanager
def graphql_client(settings: Settings, **app_kwargs: Any):
    """An app inside its lifespan, wrapped in a :class:`GraphQLClient`."""
    with TestClient(create_app(settings, **app_kwargs)) as client:
        yield GraphQLClient(client)


def error_codes(body: dict) -> list[str]:
    """The ``extensions.code`` of every error in a GraphQL response."""
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
