"""GraphiQL from the gateway's own files, so the IDE opens where no CDN can be reached.

gateway/graphiql-ui bundles GraphiQL from npm at build time (`./dev up` and `./dev test` build
it) into `dist/index.html` and `dist/assets/` under content-hashed names. The page is read
on each visit, so a rebuild shows without a restart (the old hashed files are gone by then);
the assets are cached for a year, as a new build names new files.
"""

import os
from pathlib import Path

import anyio
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

# gateway/src/gateway/graphiql.py -> gateway/graphiql-ui/dist (the workspace installs the
# gateway editable, so this is the source tree's build)
DEFAULT_DIST = Path(__file__).resolve().parents[2] / "graphiql-ui" / "dist"
ASSETS_PATH = "/graphiql/assets"
ONE_YEAR = "public, max-age=31536000, immutable"
# No inline script and nothing from elsewhere; websockets to this host are 'self' too.
# Styles allow 'unsafe-inline': CodeMirror and GraphiQL's panes set style attributes.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
NOT_BUILT = """<!doctype html><title>GraphiQL is not built</title>
<p>GraphiQL's files are not built in {dist}.
Run <code>./dev up</code>, or <code>npm ci &amp;&amp; npm run build</code> in gateway/graphiql-ui.</p>
"""


class HashedAssets(StaticFiles):
    """Static files whose names change with their content, so browsers may keep them."""

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["cache-control"] = ONE_YEAR
        return response


class GraphiQLPage:
    """The IDE's page and the route of its assets, from one build directory."""

    def __init__(self, dist: Path = DEFAULT_DIST) -> None:
        self.dist = dist

    async def response(self) -> Response:
        index = anyio.Path(self.dist / "index.html")
        if not await index.is_file():
            return self._html(NOT_BUILT.format(dist=self.dist), status_code=503)
        return self._html(await index.read_text(encoding="utf-8"))

    def routes(self) -> list[BaseRoute]:
        # check_dir=False: the gateway starts (and answers GraphQL) before the first build
        assets = HashedAssets(directory=self.dist / "assets", check_dir=False)
        return [
            Mount(ASSETS_PATH, app=assets, name="graphiql-assets"),
            Route("/favicon.ico", no_icon, methods=["GET"]),
        ]

    @staticmethod
    def _html(body: str, status_code: int = 200) -> HTMLResponse:
        return HTMLResponse(
            body,
            status_code=status_code,
            headers={
                "content-security-policy": CONTENT_SECURITY_POLICY,
                # the page names the current build's hashed files: always ask again
                "cache-control": "no-cache",
            },
        )


async def no_icon(_: Request) -> Response:
    # a browser showing a JSON answer (/api/...) asks for one; a 404 is an error in its console
    return Response(status_code=204)
