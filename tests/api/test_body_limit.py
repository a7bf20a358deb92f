"""Request bodies over ``api.max_body_bytes`` get 413 with a JSON error, declared or streamed."""

from __future__ import annotations

from starlette.testclient import TestClient

from api.app import create_app
from domain.settings import ApiSettings
from tests.support.settings import make_settings

LIMIT = 1000
TYPENAME = b'{"query": "{ __typename }", "padding": "'


def test_the_default_limit_is_one_mebibyte():
    assert ApiSettings().max_body_bytes == 1024 * 1024


def test_bodies_over_the_limit_get_413(sqlite_url, tmp_path):
    with TestClient(create_app(make_settings(sqlite_url, tmp_path, api=ApiSettings(max_body_bytes=LIMIT)))) as client:
        small = client.post("/graphql", json={"query": "{ __typename }", "padding": "x" * (LIMIT // 2)})
        assert small.status_code == 200 and small.json() == {"data": {"__typename": "Query"}}

        declared = client.post("/graphql", json={"query": "{ __typename }", "padding": "x" * LIMIT})
        assert declared.status_code == 413
        assert declared.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"

        def chunks():  # no Content-Length: counted while the app reads it
            yield TYPENAME
            yield b"x" * LIMIT
            yield b'"}'

        streamed = client.post("/graphql", content=chunks(), headers={"Content-Type": "application/json"})
        assert "content-length" not in {k.lower() for k in streamed.request.headers}
        assert streamed.status_code == 413
        assert streamed.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
