"""Estimates asked the same way twice share one recent answer, however the request is spelled."""

from audience_svc.api import EstimateRequest, estimate_key


def _key(body: dict) -> tuple[str, str]:
    return estimate_key("clinic-a", EstimateRequest.model_validate(body))


def test_a_targeting_with_its_defaults_spelled_out_is_the_same_question() -> None:
    minimal = {"targeting": {"inactiveDays": 180}}
    spelled = {
        "targeting": {"inactiveDays": 180},
        "channels": ["EMAIL", "SMS", "MAIL"],
        "holdoutPercent": 0,
        "variants": [{"name": "A", "weight": 1}],
    }

    assert _key(minimal) == _key(spelled)


def test_another_targeting_or_clinic_is_another_question() -> None:
    wanted = EstimateRequest.model_validate({"targeting": {"inactiveDays": 180}})

    assert _key({"targeting": {"inactiveDays": 90}}) != _key({"targeting": {"inactiveDays": 180}})
    assert estimate_key("clinic-b", wanted) != estimate_key("clinic-a", wanted)
