"""GraphiQL comes from the gateway's own build (gateway/graphiql-ui), never from a CDN: the page
names the build's hashed assets under a strict CSP, and the assets may be cached for a year."""

from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.graphiql import ASSETS_PATH, ONE_YEAR, GraphiQLPage
from reengage_testing import serving

PAGE = f'<script type="module" src="{ASSETS_PATH}/graphiql-ABC123.js"></script>'


def built(dist: Path) -> Path:
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(PAGE)
    (dist / "assets" / "graphiql-ABC123.js").write_text("console.log('ide')")
    return dist


def ide_app(page: GraphiQLPage) -> Starlette:
    async def show(_: Request) -> Response:
        return await page.response()

    return Starlette(routes=[Route("/graphql", show), *page.routes()])


async def test_the_page_names_the_built_assets_under_a_strict_policy(tmp_path: Path) -> None:
    async with serving(ide_app(GraphiQLPage(built(tmp_path)))) as client:
        page = await client.get("/graphql")

    assert page.status_code == 200
    assert page.text == PAGE
    assert "script-src 'self';" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-cache"


async def test_a_hashed_asset_may_be_kept_for_a_year(tmp_path: Path) -> None:
    async with serving(ide_app(GraphiQLPage(built(tmp_path)))) as client:
        asset = await client.get(f"{ASSETS_PATH}/graphiql-ABC123.js")
        missing = await client.get(f"{ASSETS_PATH}/graphiql-OLD.js")

    assert asset.status_code == 200
    assert asset.headers["cache-control"] == ONE_YEAR
    assert missing.status_code == 404


async def test_without_a_build_the_page_says_how_to_make_one(tmp_path: Path) -> None:
    async with serving(ide_app(GraphiQLPage(tmp_path / "dist"))) as client:
        page = await client.get("/graphql")

    assert page.status_code == 503
    assert "./dev up" in page.text


async def test_a_browser_asking_for_an_icon_gets_no_error(tmp_path: Path) -> None:
    async with serving(ide_app(GraphiQLPage(tmp_path))) as client:
        icon = await client.get("/favicon.ico")

    assert icon.status_code == 204


async def test_the_gateway_serves_its_own_graphiql_not_a_cdn_page(
    gateway: httpx.AsyncClient,
) -> None:
    page = await gateway.get("/graphql", headers={"accept": "text/html"})

    assert page.status_code in {200, 503}  # 503 where gateway/graphiql-ui is not built
    assert "unpkg.com" not in page.text and "<script>" not in page.text
