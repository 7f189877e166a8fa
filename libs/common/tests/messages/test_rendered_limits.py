"""Every rendered part has a size limit, enforced while rendering (issue 17 #3): a template
that repeats a long merge value fails with RenderedTooLarge without building the text."""

import tracemalloc
from datetime import datetime

import pytest

from reengage_common.events import Channel, MessageTemplate
from reengage_common.messages import (
    RenderedTooLarge,
    TemplateRenderFailed,
    compile_template,
    render_step,
    rendered_limit,
)

# The review's attack: a template under the 20,000-character limit that repeats a merge value
# 950 times, with a 200 kB value: ~190 MB if rendered whole.
AMPLIFIER = "{{incentive.details}}" * 950
HUGE = {"incentive": {"details": "x" * 200_000}}


def test_an_amplifying_template_stops_at_the_limit_without_building_the_text(now: datetime) -> None:
    compiled = compile_template(AMPLIFIER)
    tracemalloc.start()
    try:
        with pytest.raises(RenderedTooLarge) as refused:
            compiled.render(HUGE, now=now)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(refused.value, TemplateRenderFailed)  # callers' existing handling holds
    assert "100,000 characters" in str(refused.value)
    assert peak < 5_000_000, f"rendering held {peak:,} bytes"


def test_a_part_within_its_limit_renders_whole(now: datetime) -> None:
    data = {"patient": {"firstName": "y" * 1_000}}
    exact = compile_template("{{ patient.firstName }}")
    assert exact.render(data, now=now, limit=1_000) == "y" * 1_000
    with pytest.raises(RenderedTooLarge):
        compile_template("{{ patient.firstName }}!").render(data, now=now, limit=1_000)


@pytest.mark.parametrize(
    ("channel", "part", "limit"),
    [
        (Channel.EMAIL, "subject", 998),
        (Channel.EMAIL, "body", 100_000),
        (Channel.SMS, "body", 1_600),
        (Channel.MAIL, "body", 20_000),
    ],
)
def test_each_part_is_refused_past_its_limit(
    channel: Channel, part: str, limit: int, now: datetime
) -> None:
    assert rendered_limit(channel, part) == limit
    long = {"patient": {"firstName": "z" * (limit + 1)}, "unsubscribeLink": "https://u.example/u/t"}
    template = "{{ patient.firstName }}"
    step = MessageTemplate(
        channel=channel,
        sequence=1,
        subject=template if part == "subject" else "Hello",
        body=template if part == "body" else "Hello {{ unsubscribeLink }}",
    )
    with pytest.raises(RenderedTooLarge) as refused:
        render_step(step, long, now)
    assert (refused.value.part, refused.value.limit) == (part, limit)


def test_the_sms_limit_counts_the_opt_out_text_too(now: datetime) -> None:
    step = MessageTemplate(channel=Channel.SMS, sequence=1, body="{{ patient.firstName }}")
    nearly = {"patient": {"firstName": "z" * 1_595}}
    with pytest.raises(RenderedTooLarge, match="body is longer than 1,600"):
        render_step(step, nearly, now)
