"""Hypothesis over audience-svc's patient import through its real API (FerretDB and Kafka
behind it): any body, as CSV or JSON lines, is answered with the rows imported and the
rejected ones by line, or the file refused with its reason; never a 5xx."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from audience_svc.app import create_app
from audience_svc.config import AudienceSettings
from reengage_common.auth import generate_signing_key, issue_token
from reengage_testing import serving
from reengage_testing.hostile import import_files

pytestmark = pytest.mark.infra
KEY = generate_signing_key()
CONTENT_TYPES = ["text/csv", "application/x-ndjson", "application/octet-stream"]


@pytest.fixture(scope="module")
async def audience(infra, settings_for) -> AsyncIterator[httpx.AsyncClient]:
    own = uuid.uuid4().hex[:6]
    service_settings = settings_for(
        "audience-svc",
        AudienceSettings,
        kafka_topic_prefix=f"{infra.kafka_topic_prefix}import-{own}.",
        mongo_db_prefix=f"{infra.mongo_db_prefix}import_{own}_",
        jwt_public_key=KEY.public_pem,
        max_import_rows=40,
    )
    async with serving(create_app(service_settings)) as client:
        yield client


@settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=(Phase.explicit, Phase.generate),
)
@pytest.mark.timeout(300)
@given(body=import_files(), content_type=st.sampled_from(CONTENT_TYPES))
async def test_any_body_is_imported_by_rows_and_rejects_never_a_5xx(
    audience: httpx.AsyncClient, body: bytes, content_type: str
) -> None:
    clinic = f"clinic-{uuid.uuid4().hex[:8]}"
    token = issue_token(KEY, user_id="u-1", clinic_id=clinic, role="clinic_admin")
    answer = await audience.post(
        "/import",
        content=body,
        headers={"authorization": f"Bearer {token}", "content-type": content_type},
    )

    assert answer.status_code < 500, answer.text
    found = answer.json()
    if answer.status_code == 200:
        lines = body.count(b"\n") + 1
        assert (
            found["imported"] >= 0
            and found["rejectedCount"] == len(found["rejected"]) + found["moreRejected"]
        )
        assert all(1 <= r["line"] <= lines and r["reason"] for r in found["rejected"])
    else:
        assert answer.status_code in (400, 413, 422), answer.text
        assert found["error"]["fields"][0]["field"] == "file", found
