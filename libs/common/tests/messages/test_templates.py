from datetime import datetime
from typing import Any

import pytest
from jinja2 import UndefinedError

from reengage_common.events import Channel, Incentive, MessageTemplate
from reengage_common.messages import templates
from reengage_common.messages.merge_fields import KNOWN_MERGE_FIELDS, sample_merge_data
from reengage_common.messages.opt_out import SMS_OPT_OUT
from reengage_common.messages.rendering import compile_step, render_step
from reengage_common.messages.templates import (
    TemplateRefused,
    TemplateRenderFailed,
    compile_template,
    template_problems,
)


@pytest.fixture
def merge_data(now: datetime) -> dict[str, Any]:
    return sample_merge_data(clinic_name="Bright Smiles", now=now)


def render(source: str, merge_data: dict[str, Any], now: datetime) -> str:
    return compile_template(source).render(merge_data, now=now)


# --- merge fields ---------------------------------------------------------------------------


def test_every_known_merge_field_renders_from_sample_data(
    merge_data: dict[str, Any], now: datetime
) -> None:
    source = " | ".join(f"{{{{ {field} }}}}" for field in KNOWN_MERGE_FIELDS)

    rendered = render(source, merge_data, now)

    assert "Jamie" in rendered
    assert "Bright Smiles" in rendered
    assert "https://unsubscribe.example.com/preview" in rendered


def test_a_compiled_template_knows_the_merge_fields_it_uses() -> None:
    compiled = compile_template(
        "{{ patient.firstName }} {{ patient['lastName'] }} {% if incentive.code %}{{ bookingLink }}"
        "{% endif %}"
    )

    assert compiled.merge_fields == {
        "patient.firstName",
        "patient.lastName",
        "incentive.code",
        "bookingLink",
    }


def test_a_template_is_compiled_once_per_text() -> None:
    assert compile_template("Hi {{ patient.firstName }}") is compile_template(
        "Hi {{ patient.firstName }}"
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ patient }}", "'patient' is a group of merge fields"),
        ("{{ patient.nickname }}", "unknown merge field 'patient.nickname'"),
        ("{{ bookingLink.host }}", "unknown merge field 'bookingLink.host'"),
        ("{{ patient.firstName.upper }}", "'patient.firstName.upper' is not a merge field"),
        ("{{ appointment.date }}", "unknown merge field 'appointment'"),
        ("{{ patient.firstName | shout }}", "unknown filter 'shout'"),
    ],
)
def test_unknown_merge_fields_and_filters_are_refused(source: str, expected: str) -> None:
    [problem] = template_problems(source)

    assert expected in problem.message


def test_a_missing_merge_field_fails_the_render(now: datetime) -> None:
    with pytest.raises(TemplateRenderFailed, match="missing a field"):
        render("Hi {{ patient.firstName }}", {"patient": {}}, now)


def test_a_null_merge_field_renders_as_nothing(now: datetime) -> None:
    assert render("Hi {{ patient.firstName }}!", {"patient": {"firstName": None}}, now) == "Hi !"


def test_a_default_covers_a_missing_merge_field(now: datetime) -> None:
    source = "Hi {{ patient.firstName | default('there') }}"

    assert render(source, {"patient": {}}, now) == "Hi there"


# --- filters --------------------------------------------------------------------------------


def test_ago_says_how_long_since_the_last_visit(merge_data: dict[str, Any], now: datetime) -> None:
    assert render("{{ patient.lastVisitDate | ago }}", merge_data, now) == "8 months ago"


@pytest.mark.parametrize(
    ("last_visit", "expected"),
    [
        ("2025-06-15", "1 year ago"),
        ("2026-06-12T12:00:00Z", "3 days ago"),
        ("2026-06-18", "in 3 days"),
    ],
)
def test_ago_reads_dates_and_times(now: datetime, last_visit: str, expected: str) -> None:
    merge_data = {"patient": {"lastVisitDate": last_visit}}

    assert render("{{ patient.lastVisitDate | ago }}", merge_data, now) == expected


def test_ago_refuses_what_is_not_a_date(now: datetime) -> None:
    with pytest.raises(TemplateRenderFailed, match="is not a date"):
        render("{{ patient.firstName | ago }}", {"patient": {"firstName": "Jamie"}}, now)


def test_date_formats_in_words_by_default(merge_data: dict[str, Any], now: datetime) -> None:
    assert render("{{ patient.lastVisitDate | date }}", merge_data, now) == "October 15, 2025"


def test_date_takes_a_style(merge_data: dict[str, Any], now: datetime) -> None:
    assert render("{{ patient.lastVisitDate | date('short') }}", merge_data, now) == "10/15/25"


def test_money_turns_cents_into_dollars(now: datetime) -> None:
    assert render("{{ 2500 | money }}", {}, now) == "$25.00"


def test_money_takes_another_currency(now: datetime) -> None:
    assert render("{{ 2500 | money('EUR') }}", {}, now) == "€25.00"
    assert compile_template("{{ 1999 | money }}").render({}, now=now, currency="EUR") == "€19.99"


def test_money_refuses_what_is_not_cents(now: datetime) -> None:
    with pytest.raises(TemplateRenderFailed, match="whole number of cents"):
        render("{{ 25.5 | money }}", {}, now)


# --- injection ------------------------------------------------------------------------------

PAYLOADS = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ''.__class__ }}",
    "{{ ''['__class__'] }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ joiner }}{{ namespace }}{{ dict }}",
    "{{ self.__init__ }}",
    "{{ self }}",
    "{% for x in range(10**9) %}x{% endfor %}",
    "{% for c in 'xxxx' %}{{ c }}{% endfor %}",
    "{{ range(10) }}",
    "{{ config }}",
    "{{ config.items() }}",
    "{{ lipsum }}",
    "{{ lipsum(10**6) }}",
    "{{ request }}",
    "{% include 'secrets.txt' %}",
    "{% import 'macros.html' as m %}",
    "{% from 'macros.html' import m %}",
    "{% extends 'base.html' %}",
    "{{ 9**999999 }}",
    "{{ patient.firstName.__class__ }}",
    "{{ patient.items() }}",
    "{{ patient | attr('__class__') }}",
    "{{ patient.firstName | format(1) }}",
    "{{ 'x' | center(999999999) }}",
    "{% set x = 'a' %}{{ x }}",
    "{% with a = 1 %}{{ a }}{% endwith %}",
    "{% macro m() %}x{% endmacro %}",
    "{% filter upper %}x{% endfilter %}",
    "{% autoescape false %}x{% endautoescape %}",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_injection_payloads_are_refused_before_compiling(payload: str) -> None:
    assert template_problems(payload)
    with pytest.raises(TemplateRefused):
        compile_template(payload)


def test_an_include_is_explained() -> None:
    [problem] = template_problems("Hi\n{% include 'footer.txt' %}")

    assert str(problem) == (
        "line 2: {% include %} is not available: each message stands alone; "
        "there are no other templates to use"
    )


@pytest.mark.parametrize(
    "payload", ["{{ 'x' * 1000000000 }}", "{{ '%0999999999d' % 1 }}", "{{ [1] * 999999999 }}"]
)
def test_operators_that_inflate_text_are_refused_at_render(payload: str, now: datetime) -> None:
    with pytest.raises(TemplateRenderFailed, match="numbers only"):
        render(payload, {}, now)


def test_plain_arithmetic_still_works(now: datetime) -> None:
    assert render("{{ 3 * 4 }} {{ 7 % 3 }} {{ 10 // 4 }}", {}, now) == "12 1 2"


def test_the_sandbox_has_no_globals_even_if_a_template_got_past_the_checks(now: datetime) -> None:
    unchecked = templates._ENVIRONMENT.from_string("{{ range }}")

    with pytest.raises(UndefinedError):
        unchecked.render()


# --- rendering a step -----------------------------------------------------------------------


def test_an_email_gets_an_unsubscribe_footer(merge_data: dict[str, Any], now: datetime) -> None:
    step = MessageTemplate(
        channel=Channel.EMAIL, subject="Hi {{ patient.firstName }}", body="Come back!", sequence=1
    )

    rendered = render_step(step, merge_data, now)

    assert rendered.subject == "Hi Jamie"
    assert rendered.body == (
        "Come back!\n\nTo stop receiving these emails, unsubscribe here: "
        "https://unsubscribe.example.com/preview"
    )
    assert rendered.sms is None


def test_an_email_that_shows_the_link_gets_no_footer(
    merge_data: dict[str, Any], now: datetime
) -> None:
    step = MessageTemplate(
        channel=Channel.EMAIL, subject="Hi", body="Opt out: {{ unsubscribeLink }}", sequence=1
    )

    assert render_step(step, merge_data, now).body == (
        "Opt out: https://unsubscribe.example.com/preview"
    )


def test_an_email_without_an_unsubscribe_link_is_not_rendered(
    merge_data: dict[str, Any], now: datetime
) -> None:
    del merge_data["unsubscribeLink"]
    step = MessageTemplate(channel=Channel.EMAIL, subject="Hi", body="Come back!", sequence=1)

    with pytest.raises(TemplateRenderFailed, match="unsubscribeLink"):
        render_step(step, merge_data, now)


def test_a_subject_stays_on_one_line(now: datetime) -> None:
    merge_data = {"patient": {"firstName": "Ann\r\nBcc: all@example.com"}, "unsubscribeLink": "u"}
    step = MessageTemplate(
        channel=Channel.EMAIL, subject="Hi {{ patient.firstName }}", body="x", sequence=1
    )

    assert render_step(step, merge_data, now).subject == "Hi Ann Bcc: all@example.com"


def test_an_sms_carries_the_opt_out_and_is_counted_with_it(
    merge_data: dict[str, Any], now: datetime
) -> None:
    step = MessageTemplate(
        channel=Channel.SMS, subject="ignored", body="{{ clinic.name }} misses you", sequence=1
    )

    rendered = render_step(compile_step(step), merge_data, now)

    assert rendered.subject is None
    assert rendered.body == f"Bright Smiles misses you\n{SMS_OPT_OUT}"
    assert rendered.sms is not None
    assert rendered.sms.characters == len(rendered.body)
    assert rendered.sms.segments == 1


def test_a_letter_carries_opt_out_instructions(merge_data: dict[str, Any], now: datetime) -> None:
    step = MessageTemplate(channel=Channel.MAIL, body="Dear {{ patient.firstName }},", sequence=1)

    rendered = render_step(step, merge_data, now)

    assert rendered.body == (
        "Dear Jamie,\n\nTo stop receiving mail from us, visit "
        "https://unsubscribe.example.com/preview or call us at (555) 010-0100."
    )


def test_a_step_that_would_not_validate_is_not_rendered(
    merge_data: dict[str, Any], now: datetime
) -> None:
    step = MessageTemplate(channel=Channel.SMS, body="{{ config }}", sequence=1)

    with pytest.raises(TemplateRefused):
        render_step(step, merge_data, now)


def test_sample_data_uses_the_campaign_incentive(now: datetime) -> None:
    incentive = Incentive(has_incentive=True, incentive_code="BRACES50", incentive_details="$50")

    sample = sample_merge_data(clinic_name="Bright Smiles", now=now, incentive=incentive)

    assert sample["incentive"] == {"code": "BRACES50", "details": "$50"}
