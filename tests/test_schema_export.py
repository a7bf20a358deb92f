"""schema.graphql is the SDL exported from the code; regenerate it with
``strawberry export-schema api.schema:schema --output schema.graphql``."""

from pathlib import Path

from api.schema import schema

ROOT = Path(__file__).resolve().parent.parent


def test_schema_graphql_is_up_to_date():
    exported = (ROOT / "schema.graphql").read_text().strip()
    assert exported == schema.as_str().strip(), (
        "schema.graphql is stale: run `strawberry export-schema api.schema:schema --output schema.graphql`"
    )
