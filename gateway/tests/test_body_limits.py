"""Request bodies are bounded before anything parses them or checks the caller: GraphQL and REST
at MAX_BODY_BYTES (1 MB), a patient import at its own MAX_IMPORT_BODY_BYTES."""

from collections.abc import AsyncIterator

import httpx

from gateway.app import create_app
from reengage_common.settings import load_settings
from reengage_testing import serving

from .conftest import SIGNING_KEY, Services

ONE_MB = 1024 * 1024
QUERY = "query { me { clinicId } }"


def too_large(response: httpx.Response, limit: int) -> bool:
    error = response.json()["error"]
    return response.status_code == 413 and error["code"] == "TOO_LARGE" and error["limit"] == limit


def graphql_body(size: int) -> bytes:
    """A valid GraphQL request padded with a variable to `size` bytes."""
    head = b'{"query": "' + QUERY.encode() + b'", "variables": {"pad": "'
    tail = b'"}}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


async def chunks_of(body: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


async def test_a_graphql_body_over_one_megabyte_is_413_before_authentication(
    gateway, services: Services
) -> None:
    # no token at all: the limit answers first, nothing reads or parses the megabyte
    answer = await gateway.post("/graphql", content=graphql_body(ONE_MB + 1))

    assert too_large(answer, ONE_MB)
    assert services.campaign.requests == []


async def test_a_graphql_body_at_the_limit_is_answered(gateway, headers_of) -> None:
    answer = await gateway.post(
        "/graphql",
        content=graphql_body(ONE_MB),
        headers={**headers_of("viewer"), "content-type": "application/json"},
    )

    assert answer.status_code == 200
    assert answer.json()["data"] == {"me": {"clinicId": "clinic-a"}}


async def test_a_chunked_body_without_content_length_is_cut_at_the_limit(
    gateway, headers_of
) -> None:
    body = graphql_body(ONE_MB + 1)

    graphql = await gateway.post(
        "/graphql", content=chunks_of(body), headers={"content-type": "application/json"}
    )
    rest = await gateway.post(
        "/api/booking/campaigns", content=chunks_of(body), headers=headers_of("manager")
    )

    assert "content-length" not in graphql.request.headers
    assert too_large(graphql, ONE_MB)
    assert too_large(rest, ONE_MB)


async def test_a_rest_body_over_the_configured_limit_is_413(services: Services, headers_of) -> None:
    settings = load_settings(
        "gateway", jwt_public_key=SIGNING_KEY.public_pem, max_body_bytes=64 * 1024
    )
    async with serving(create_app(settings, services.transports())) as client:
        answer = await client.post(
            "/api/booking/campaigns",
            content=b'{"name": "' + b"x" * 70_000 + b'"}',
            headers=headers_of("manager"),
        )

    assert too_large(answer, 64 * 1024)
    assert services.campaign.requests == []


async def test_a_patient_import_has_its_own_larger_limit(services: Services, headers_of) -> None:
    settings = load_settings(
        "gateway",
        jwt_public_key=SIGNING_KEY.public_pem,
        max_body_bytes=64 * 1024,
        max_import_body_bytes=4 * 1024 * 1024,
    )
    services.audience.deployed = True
    services.audience.force(
        "POST", "/import", httpx.Response(200, json={"imported": 1, "rejectedCount": 0})
    )
    csv = b"patientId,firstName\n" + b"p-1,Ada\n" * 300_000  # 2.4 MB: past the common limit
    async with serving(create_app(settings, services.transports())) as client:
        imported = await client.post(
            "/api/booking/patients/import", content=csv, headers=headers_of("manager")
        )
        streamed = await client.post(
            "/api/booking/patients/import", content=chunks_of(csv), headers=headers_of("manager")
        )
        too_big = await client.post(
            "/api/booking/patients/import",
            content=chunks_of(csv * 2),
            headers=headers_of("manager"),
        )

    assert imported.status_code == 200, imported.text
    assert streamed.status_code == 200, streamed.text
    assert too_large(too_big, 4 * 1024 * 1024)
