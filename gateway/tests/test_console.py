"""The clinic console comes from the gateway's own build (console/): every app path answers the
index under a strict Content-Security-Policy, never cached; hashed assets are cached for a
year. The development sign-in exists only with ENV=development, and mints what `./dev token`
does. Browsers on other origins are refused unless CORS_ORIGINS names them."""

from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from gateway.app import create_app
from gateway.config import GatewaySettings
from gateway.console import CONTENT_SECURITY_POLICY, DEV_SIGN_IN_OFF, ConsolePages
from gateway.graphiql import ONE_YEAR
from reengage_common.auth import (
    MANAGE_REMINDERS,
    VIEW_ANALYTICS,
    generate_signing_key,
    verifier_for,
)
from reengage_common.settings import Settings

INDEX = f'<html><head>{DEV_SIGN_IN_OFF}<script type="module" src="/console/assets/index-ABC.js"></script></head></html>'


def built(dist: Path) -> Path:
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX)
    (dist / "assets" / "index-ABC.js").write_text("console.log('console')")
    return dist


def client_of(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gateway")


async def test_every_app_path_answers_the_index_never_cached_under_a_strict_policy(
    tmp_path: Path,
) -> None:
    pages = ConsolePages(built(tmp_path))
    async with client_of(Starlette(routes=pages.routes())) as client:
        home = await client.get("/console/")
        deep = await client.get("/console/campaigns/c-1/recipients")
        root = await client.get("/")

    for page in (home, deep):
        assert page.status_code == 200
        assert page.text == INDEX
        assert page.headers["cache-control"] == "no-cache"
        assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "script-src 'self';" in CONTENT_SECURITY_POLICY
        assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert root.status_code == 307 and root.headers["location"] == "/console/"


async def test_a_hashed_asset_may_be_kept_for_a_year_and_an_old_one_is_gone(tmp_path: Path) -> None:
    pages = ConsolePages(built(tmp_path))
    async with client_of(Starlette(routes=pages.routes())) as client:
        asset = await client.get("/console/assets/index-ABC.js")
        missing = await client.get("/console/assets/index-OLD.js")

    assert asset.status_code == 200 and asset.headers["cache-control"] == ONE_YEAR
    assert missing.status_code == 404


async def test_without_a_build_the_page_says_how_to_make_one(tmp_path: Path) -> None:
    pages = ConsolePages(tmp_path / "dist")
    async with client_of(Starlette(routes=pages.routes())) as client:
        page = await client.get("/console/")

    assert page.status_code == 503 and "./dev up" in page.text


async def test_in_development_the_index_offers_the_development_sign_in(tmp_path: Path) -> None:
    pages = ConsolePages(built(tmp_path), dev_sign_in=True)
    async with client_of(Starlette(routes=pages.routes())) as client:
        page = await client.get("/console/")

    assert '<meta name="dev-sign-in" content="on">' in page.text


async def test_the_development_sign_in_mints_what_dev_token_does() -> None:
    settings = Settings(service="gateway", env="development")
    async with client_of(create_app(settings)) as client:
        answer = await client.post(
            "/console/dev-sign-in", json={"clinicId": "clinic-demo", "role": "manager"}
        )
        refused = await client.post(
            "/console/dev-sign-in", json={"clinicId": "clinic-demo", "role": "owner"}
        )

    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    # every part in development verifies it with the dev key pair's public half
    who = verifier_for(settings).verify(answer.json()["token"])
    assert (who.clinic_id, who.role) == ("clinic-demo", "manager")
    assert who.permissions == {VIEW_ANALYTICS, MANAGE_REMINDERS}
    assert refused.status_code == 422 and refused.json()["fields"][0]["field"] == "role"


@pytest.mark.parametrize("env", ["production", "test"])
async def test_outside_development_there_is_no_sign_in_route(env: str) -> None:
    key = generate_signing_key()
    settings = Settings(
        service="gateway", env=env, jwt_public_key=key.public_pem, jwt_issuer="https://id.clinic"
    )
    async with client_of(create_app(settings)) as client:
        answer = await client.post(
            "/console/dev-sign-in", json={"clinicId": "clinic-demo", "role": "clinic_admin"}
        )

    assert answer.status_code in {404, 405}
    assert "token" not in answer.text


async def test_no_other_origin_is_allowed_by_default() -> None:
    async with client_of(create_app(Settings(service="gateway", env="development"))) as client:
        preflight = await client.options(
            "/graphql",
            headers={
                "origin": "https://console.elsewhere.example",
                "access-control-request-method": "POST",
            },
        )

    assert "access-control-allow-origin" not in preflight.headers


async def test_cors_origins_lets_a_console_hosted_elsewhere_call_the_api() -> None:
    settings = GatewaySettings(
        service="gateway", env="development", cors_origins="https://console.clinic.example"
    )
    async with client_of(create_app(settings)) as client:
        allowed = await client.options(
            "/graphql",
            headers={
                "origin": "https://console.clinic.example",
                "access-control-request-method": "POST",
                "access-control-request-headers": "authorization,content-type",
            },
        )
        other = await client.options(
            "/graphql",
            headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
        )

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://console.clinic.example"
    assert "access-control-allow-credentials" not in allowed.headers
    assert "access-control-allow-origin" not in other.headers


def test_a_wildcard_origin_is_refused() -> None:
    with pytest.raises(ValueError, match="CORS_ORIGINS"):
        GatewaySettings(service="gateway", env="development", cors_origins="*")
