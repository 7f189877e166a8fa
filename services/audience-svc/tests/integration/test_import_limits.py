"""An import's row and body limits (issue 17 #4), on a service configured with small ones."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from audience_svc.app import create_app
from audience_svc.config import AudienceSettings
from reengage_common.auth import issue_token
from reengage_testing import serving

from .conftest import KEY, NOW, FakeClock

pytestmark = pytest.mark.infra

HEADER = b"patientId,firstName,createdAt\n"


@pytest.fixture(scope="module")
async def client(infra, settings_for) -> AsyncIterator[httpx.AsyncClient]:
    own = uuid.uuid4().hex[:6]
    settings = settings_for(
        "audience-svc",
        AudienceSettings,
        kafka_topic_prefix=f"{infra.kafka_topic_prefix}audlim-{own}.",
        mongo_db_prefix=f"{infra.mongo_db_prefix}audlim_{own}_",
        jwt_public_key=KEY.public_pem,
        max_import_rows=5,
        max_import_body_bytes=4096,
        import_chunk_rows=2,
    )
    async with serving(create_app(settings, clock=FakeClock(NOW))) as served:
        yield served


def headers() -> dict[str, str]:
    token = issue_token(
        KEY, user_id="u-1", clinic_id=f"clinic-{uuid.uuid4().hex[:8]}", role="manager"
    )
    return {"authorization": f"Bearer {token}", "content-type": "text/csv"}


async def test_a_file_of_more_rows_than_an_import_takes_is_refused_naming_the_limit(
    client,
) -> None:
    rows = b"".join(b"p-%d,Ada,2019-01-01T00:00:00Z\n" % n for n in range(8))

    answer = await client.post("/import", content=HEADER + rows, headers=headers())

    assert answer.status_code == 422
    assert answer.json()["error"]["fields"] == [
        {
            "field": "file",
            "message": "more than 5 rows: split the file (nothing was imported)",
            "code": "TOO_LARGE",
        }
    ]


async def test_a_streamed_body_past_the_import_limit_is_413(client) -> None:
    async def body():
        yield HEADER + b"p-1,"
        for _ in range(100):  # one 6 kB line, chunked: no Content-Length to refuse it by
            yield b"x" * 60

    answer = await client.post("/import", content=body(), headers=headers())

    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "TOO_LARGE"
