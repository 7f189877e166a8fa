import re

import httpx
from fake_support import LOB_KEY

AUTH = (LOB_KEY, "")
LETTER = {
    "description": "re-engagement step 3",
    "to": {
        "name": "Ada Lovelace",
        "address_line1": "1 Main St",
        "address_city": "Springfield",
        "address_state": "IL",
        "address_zip": "62701",
    },
    "from": {"company": "Bright Smiles", "address_line1": "2 Elm St"},
    "file": "<html><body>We miss you</body></html>",
    "color": False,
    "metadata": {"messageId": "m-1"},
}


async def test_a_wrong_api_key_is_refused(lob: httpx.AsyncClient) -> None:
    answer = await lob.post("/v1/letters", json=LETTER, auth=("live_wrong", ""))

    assert answer.status_code == 401
    assert answer.json()["error"]["status_code"] == 401


async def test_a_letter_is_created_with_lobs_shape(lob: httpx.AsyncClient) -> None:
    answer = await lob.post("/v1/letters", json=LETTER, auth=AUTH)

    assert answer.status_code == 200
    letter = answer.json()
    assert re.fullmatch(r"ltr_[0-9a-f]{16}", letter["id"])
    assert letter["object"] == "letter"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", letter["expected_delivery_date"])
    assert letter["to"]["name"] == "Ada Lovelace"
    assert letter["metadata"] == {"messageId": "m-1"}


async def test_a_form_body_nests_like_lobs_api(lob: httpx.AsyncClient) -> None:
    form = {
        "to[name]": "Ada",
        "to[address_line1]": "1 Main St",
        "from[name]": "Clinic",
        "from[address_line1]": "2 Elm St",
        "file": "<html>hi</html>",
        "color": "true",
    }

    answer = await lob.post("/v1/letters", data=form, auth=AUTH)

    assert answer.status_code == 200
    assert answer.json()["color"] is True
    assert answer.json()["to"]["address_line1"] == "1 Main St"


async def test_a_missing_field_is_named(lob: httpx.AsyncClient) -> None:
    answer = await lob.post("/v1/letters", json={**LETTER, "file": ""}, auth=AUTH)

    assert answer.status_code == 422
    assert answer.json()["error"]["message"] == "file is required"


async def test_the_same_idempotency_key_never_makes_a_second_letter(
    lob: httpx.AsyncClient,
) -> None:
    headers = {"Idempotency-Key": "m-1"}

    first = await lob.post("/v1/letters", json=LETTER, auth=AUTH, headers=headers)
    again = await lob.post("/v1/letters", json=LETTER, auth=AUTH, headers=headers)

    assert first.json()["id"] == again.json()["id"]
    listed = (await lob.get("/_fake/letters")).json()
    assert len(listed["letters"]) == 1
    assert listed["letters"][0]["idempotencyKey"] == "m-1"
    assert listed["letters"][0]["timesSeen"] == 2


async def test_a_key_whose_first_try_failed_creates_on_retry(lob: httpx.AsyncClient) -> None:
    await lob.post("/_fake/behaviour", json={"mode": "transient", "count": 1})
    headers = {"Idempotency-Key": "m-2"}

    failed = await lob.post("/v1/letters", json=LETTER, auth=AUTH, headers=headers)
    retried = await lob.post("/v1/letters", json=LETTER, auth=AUTH, headers=headers)

    assert (failed.status_code, retried.status_code) == (500, 200)
    assert len((await lob.get("/_fake/letters")).json()["letters"]) == 1


async def test_permanent_failure_answers_lobs_error(lob: httpx.AsyncClient) -> None:
    await lob.post("/_fake/behaviour", json={"mode": "permanent"})

    answer = await lob.post("/v1/letters", json=LETTER, auth=AUTH)

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "failed_deliverability_strictness"
