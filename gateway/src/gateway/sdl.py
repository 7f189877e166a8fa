"""The GraphQL schema as SDL, for clients that generate their types from it (console/).

`python -m gateway.sdl` prints it; `python -m gateway.sdl --write` refreshes the committed copy,
gateway/schema.graphql, which gateway/tests/test_sdl.py keeps equal to the running schema.
"""

import sys
from pathlib import Path

from gateway.schema import build_schema

COMMITTED_SDL = Path(__file__).resolve().parents[2] / "schema.graphql"


def schema_sdl() -> str:
    return build_schema([]).as_str() + "\n"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--write"]:
        COMMITTED_SDL.write_text(schema_sdl(), encoding="utf-8")
        print(f"wrote {COMMITTED_SDL}")
    elif not args:
        sys.stdout.write(schema_sdl())
    else:
        sys.exit("usage: python -m gateway.sdl [--write]")


if __name__ == "__main__":
    main()
