"""The clinic console (console/, a single-page app) from the gateway's own files.

`./dev up` and `./dev test` build console/ into `console/dist/`: `index.html` and `assets/`
under content-hashed names. Every path under /console/ that is not an asset answers the index,
so the app's own router shows the page (a reload of /console/campaigns/c-1 works). The index is
read on each visit and never cached, as it names the current build's files; the assets are
cached for a year, as a new build names new files.
"""

from pathlib import Path

import anyio
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from gateway.graphiql import HashedAssets

# gateway/src/gateway/console.py -> console/dist (the workspace installs the gateway editable)
DEFAULT_DIST = Path(__file__).resolve().parents[3] / "console" / "dist"
CONSOLE_PATH = "/console"
# No inline script, nothing from elsewhere (the GraphQL websocket to this host is 'self');
# styles allow 'unsafe-inline' for the chart library's and the email preview's style attributes.
# The email preview is an iframe from `srcdoc` with scripts off, under this same policy.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# The built index carries this tag; in development the gateway turns it on, and the sign-in
# page then offers the development sign-in (gateway.dev_sign_in) besides pasting a token.
DEV_SIGN_IN_OFF = '<meta name="dev-sign-in" content="off">'
DEV_SIGN_IN_ON = '<meta name="dev-sign-in" content="on">'
NOT_BUILT = """<!doctype html><html lang="en"><title>The console is not built</title>
<p>The console's files are not built in {dist}.
Run <code>./dev up</code>, or <code>npm ci &amp;&amp; npm run build</code> in console/.</p></html>
"""


class ConsolePages:
    """The console's index for every app path, and its hashed assets, from one build."""

    def __init__(self, dist: Path = DEFAULT_DIST, *, dev_sign_in: bool = False) -> None:
        self.dist = dist
        self.dev_sign_in = dev_sign_in

    async def index(self, _: Request) -> Response:
        index = anyio.Path(self.dist / "index.html")
        if not await index.is_file():
            return self._html(NOT_BUILT.format(dist=self.dist), status_code=503)
        page = await index.read_text(encoding="utf-8")
        if self.dev_sign_in:
            page = page.replace(DEV_SIGN_IN_OFF, DEV_SIGN_IN_ON)
        return self._html(page)

    def routes(self) -> list[BaseRoute]:
        # check_dir=False: the gateway starts (and answers GraphQL) before the first build
        assets = HashedAssets(directory=self.dist / "assets", check_dir=False)
        return [
            Route("/", to_console, methods=["GET"]),
            Mount(f"{CONSOLE_PATH}/assets", app=assets, name="console-assets"),
            Route(CONSOLE_PATH, to_console, methods=["GET"]),
            Route(f"{CONSOLE_PATH}/{{page:path}}", self.index, methods=["GET"]),
        ]

    @staticmethod
    def _html(body: str, status_code: int = 200) -> HTMLResponse:
        return HTMLResponse(
            body,
            status_code=status_code,
            headers={
                "content-security-policy": CONTENT_SECURITY_POLICY,
                "cache-control": "no-cache",
                "x-content-type-options": "nosniff",
                "referrer-policy": "no-referrer",
            },
        )


async def to_console(_: Request) -> Response:
    return RedirectResponse(f"{CONSOLE_PATH}/", status_code=307)
