"""Targeting rows as the projection makes them: a patient's facts, folded."""

from audience_svc.domain.facts import fold, targeting_row


def targeting_row_of(patient_id: str, visited: float, **profile: object) -> list:
    """The targeting row of an adult with an email, last seen at `visited` (epoch seconds)."""
    facts = [
        {
            "k": "p",
            "pid": patient_id,
            "t": 1.0,
            "i": "e",
            "d": {"email": "x@example.com", "createdAt": "2019-01-01T00:00:00Z", **profile},
        },
        {
            "k": "a",
            "pid": patient_id,
            "t": 2.0,
            "i": "v",
            "ap": "a",
            "st": "COMPLETED",
            "s": visited,
        },
    ]
    states: dict = {}
    fold(states, facts)
    return targeting_row(states[patient_id])
