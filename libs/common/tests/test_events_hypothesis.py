"""Hypothesis over the contract's parser, for every topic: a valid event (as hostile as the
contract allows) parses to itself; anything else is a MalformedEvent naming what is wrong,
never another error (the consumer dead-letters MalformedEvent and carries on)."""

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reengage_common.events import EVENT_TYPES, MalformedEvent, parse
from reengage_testing.hostile import malformed_envelope, valid_envelope

SETTINGS = settings(
    max_examples=100, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)


@pytest.mark.parametrize("topic", list(EVENT_TYPES))
def test_a_valid_event_parses_and_round_trips(topic: str) -> None:
    @SETTINGS
    @given(raw=valid_envelope(EVENT_TYPES[topic]))
    def check(raw: bytes) -> None:
        envelope = parse(raw, topic)
        assert parse(envelope.to_json(), topic) == envelope

    check()


@pytest.mark.parametrize("topic", list(EVENT_TYPES))
def test_a_malformed_event_is_refused_with_a_reason(topic: str) -> None:
    @SETTINGS
    @given(raw=malformed_envelope(EVENT_TYPES[topic]))
    def check(raw: bytes) -> None:
        with pytest.raises(MalformedEvent) as refused:
            parse(raw, topic)
        assert refused.value.reason

    check()


@SETTINGS
@given(raw=st.binary(max_size=500), topic=st.sampled_from([*EVENT_TYPES, None]))
def test_any_bytes_parse_or_are_refused_as_malformed(raw: bytes, topic: str | None) -> None:
    with contextlib.suppress(MalformedEvent):
        parse(raw, topic)
