"""The committed SDL (gateway/schema.graphql), which the console generates its types from, is the
running schema: a change to the schema is a change to that file (python -m gateway.sdl --write)."""

from gateway.graphql_app import make_graphql_app
from gateway.sdl import COMMITTED_SDL, schema_sdl
from reengage_common.settings import Settings


def test_the_committed_sdl_is_the_running_schema() -> None:
    running = make_graphql_app(Settings(service="gateway", env="test")).schema.as_str() + "\n"

    assert running == schema_sdl()
    assert COMMITTED_SDL.read_text(encoding="utf-8") == running, (
        "gateway/schema.graphql is stale: run .venv/bin/python -m gateway.sdl --write"
    )
