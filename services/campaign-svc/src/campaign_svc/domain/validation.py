"""The rules a campaign definition must meet to be saved, and to be launched.

(Over 300 lines: one short function per part of the definition, read in the order of its
fields; template and language rules have modules of their own.)
"""

import re
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from campaign_svc.domain.fallback_rules import fallback_errors
from campaign_svc.domain.language_rules import language_errors
from campaign_svc.domain.model import NAME_MAX_LENGTH, CampaignInput, FieldError, TreatmentStage
from campaign_svc.domain.template_rules import template_errors
from reengage_common.error_codes import CampaignErrorCode as Code
from reengage_common.events import (
    MAX_OVERDUE_MONTHS,
    Channel,
    Incentive,
    MessageTemplate,
    RecallTargeting,
    Schedule,
    Targeting,
    Variant,
)
from reengage_common.resources.campaigns import MAX_HOLDOUT_PERCENT

# The hours the law allows outreach, read in each patient's own time zone. "HH:MM" strings
# compare correctly as text.
SEND_WINDOW_OPENS, SEND_WINDOW_CLOSES = "08:00", "21:00"
INCENTIVE_CODE_MAX_LENGTH = 32
# What the offer says ("20% off your next cleaning"), merged into every message: a sentence or
# two, never a document a template could repeat into megabytes.
INCENTIVE_DETAILS_MAX_LENGTH = 500

_SEND_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_INCENTIVE_CODE = re.compile(r"[A-Za-z0-9-]+")
_TREATMENT_STAGES = frozenset(TreatmentStage)
# "localtime" resolves to whatever zone the server runs in, which no clinic means.
_NOT_CLINIC_ZONES = frozenset({"localtime", "posixrules", "Factory"})


def validate_campaign(campaign: CampaignInput, *, now: datetime) -> list[FieldError]:
    """Every rule the definition breaks, each naming its field; empty when it may be saved.

    `now` dates the sample data each template is test-rendered with (see `template_rules`).
    """
    return [
        *_name_errors(campaign.name),
        *targeting_errors(campaign.targeting),
        *_channel_errors(campaign.channels),
        *_variant_errors(campaign.variants),
        *_holdout_errors(campaign.holdout_percent),
        *_step_errors(campaign),
        *_sequence_errors(campaign.message_templates),
        *_schedule_errors(campaign.schedule),
        *_incentive_errors(campaign.incentive),
        *language_errors(campaign),
        *template_errors(campaign, now),
        *fallback_errors(campaign, now),
    ]


def validate_launch(campaign: CampaignInput, *, now: datetime) -> list[FieldError]:
    """`validate_campaign`, plus what only matters when launching: the end must lie ahead.

    A start date in the past is fine: launching then means "start now".
    """
    errors = validate_campaign(campaign, now=now)
    end = campaign.schedule.end_date
    if end is not None and end <= now:
        errors.append(
            FieldError(
                "schedule.endDate",
                "the end date has passed; the campaign would send nothing",
                Code.END_DATE_PASSED,
            )
        )
    return errors


def _name_errors(name: str) -> Iterator[FieldError]:
    if not name.strip():
        yield FieldError("name", "a campaign needs a name", Code.REQUIRED)
    elif len(name) > NAME_MAX_LENGTH:
        yield FieldError(
            "name", f"must be at most {NAME_MAX_LENGTH} characters, not {len(name)}", Code.TOO_LONG
        )


def targeting_errors(targeting: Targeting) -> Iterator[FieldError]:
    """A campaign's targeting rules, also a saved audience's (each field under `targeting.`)."""
    if targeting.inactive_days <= 0:
        yield FieldError("targeting.inactiveDays", "must be at least 1 day", Code.OUT_OF_RANGE)
    if targeting.exclude_contact_days <= 0:
        yield FieldError(
            "targeting.excludeContactDays", "must be at least 1 day", Code.OUT_OF_RANGE
        )
    for index, stage in enumerate(targeting.treatment_stages):
        if stage not in _TREATMENT_STAGES:
            known = ", ".join(TreatmentStage)
            yield FieldError(
                f"targeting.treatmentStages.{index}",
                f"unknown treatment stage '{stage}' (known: {known})",
                Code.UNKNOWN_TREATMENT_STAGE,
            )
    if targeting.recall is not None:
        yield from _recall_errors(targeting.recall)


def _recall_errors(recall: RecallTargeting) -> Iterator[FieldError]:
    """A recall window (audience-svc reads it): whole months within a century, and a top
    above its bottom, or it selects no one."""
    path = "targeting.recall."
    least, most = recall.overdue_by_months, recall.max_overdue_months
    if not 0 <= least <= MAX_OVERDUE_MONTHS:
        yield FieldError(
            path + "overdueByMonths", f"must be 0 to {MAX_OVERDUE_MONTHS} months", Code.OUT_OF_RANGE
        )
    if most is not None and not 1 <= most <= MAX_OVERDUE_MONTHS:
        yield FieldError(
            path + "maxOverdueMonths",
            f"must be 1 to {MAX_OVERDUE_MONTHS} months",
            Code.OUT_OF_RANGE,
        )
    elif most is not None and most <= least:
        yield FieldError(
            path + "maxOverdueMonths",
            f"must be more than overdueByMonths ({least}), or the window is empty",
            Code.OUT_OF_RANGE,
        )


def _channel_errors(channels: list[Channel]) -> Iterator[FieldError]:
    if not channels:
        yield FieldError("channels", "choose at least one channel", Code.REQUIRED)
    for index, channel in enumerate(channels):
        if channel in channels[:index]:
            yield FieldError(f"channels.{index}", f"{channel} is listed twice", Code.DUPLICATE)


def _variant_errors(variants: list[Variant]) -> Iterator[FieldError]:
    if not variants:
        yield FieldError("variants", "a campaign needs at least one variant", Code.REQUIRED)
    seen: set[str] = set()
    for index, variant in enumerate(variants):
        if not variant.name.strip():
            yield FieldError(f"variants.{index}.name", "a variant needs a name", Code.REQUIRED)
        elif variant.name in seen:
            yield FieldError(
                f"variants.{index}.name",
                f"variant '{variant.name}' is listed twice",
                Code.DUPLICATE,
            )
        seen.add(variant.name)
        if variant.weight < 1:
            yield FieldError(
                f"variants.{index}.weight",
                "must be a whole number of at least 1",
                Code.OUT_OF_RANGE,
            )


def _holdout_errors(holdout_percent: float) -> Iterator[FieldError]:
    # Written so that NaN fails too.
    if not 0 <= holdout_percent <= MAX_HOLDOUT_PERCENT:
        yield FieldError(
            "holdoutPercent",
            f"must be between 0 and {MAX_HOLDOUT_PERCENT} percent",
            Code.OUT_OF_RANGE,
        )


def _step_errors(campaign: CampaignInput) -> Iterator[FieldError]:
    steps = campaign.message_templates
    if not steps:
        yield FieldError("messageTemplates", "add at least one message step", Code.REQUIRED)
    variant_names = [variant.name for variant in campaign.variants]
    for index, step in enumerate(steps):
        path = f"messageTemplates.{index}"
        if step.variant not in variant_names:
            yield FieldError(
                f"{path}.variant",
                f"'{step.variant}' is not one of the campaign's variants ({', '.join(variant_names)})",
                Code.NOT_IN_CAMPAIGN,
            )
        if step.channel not in campaign.channels:
            chosen = ", ".join(campaign.channels) or "none chosen"
            yield FieldError(
                f"{path}.channel",
                f"{step.channel} is not one of the campaign's channels ({chosen})",
                Code.NOT_IN_CAMPAIGN,
            )
        if step.channel is Channel.EMAIL and not (step.subject or "").strip():
            yield FieldError(f"{path}.subject", "an email needs a subject", Code.REQUIRED)
        if not step.body.strip():
            yield FieldError(f"{path}.body", "a message needs a body", Code.REQUIRED)
        if step.delay_days < 0:
            yield FieldError(f"{path}.delayDays", "cannot be negative", Code.OUT_OF_RANGE)
        elif step.sequence > 1 and step.delay_days == 0:
            # A follow-up on the same day as the previous touch reads as spam.
            yield FieldError(
                f"{path}.delayDays",
                "a follow-up must wait at least 1 day after the previous step",
                Code.OUT_OF_RANGE,
            )
    used_variants = {step.variant for step in steps}
    for index, variant in enumerate(campaign.variants):
        if variant.name.strip() and variant.name not in used_variants:
            yield FieldError(
                f"variants.{index}",
                f"variant '{variant.name}' has no message steps",
                Code.UNUSED_VARIANT,
            )


def _sequence_errors(steps: list[MessageTemplate]) -> Iterator[FieldError]:
    """Each variant is its own sequence of touches, numbered 1, 2, 3… without gaps."""
    steps_by_variant: dict[str, list[tuple[int, int]]] = {}
    for index, step in enumerate(steps):
        steps_by_variant.setdefault(step.variant, []).append((step.sequence, index))
    for variant, numbered in steps_by_variant.items():
        seen: set[int] = set()
        for sequence, index in numbered:
            path = f"messageTemplates.{index}.sequence"
            if sequence < 1:
                yield FieldError(path, "steps are numbered from 1", Code.OUT_OF_RANGE)
            elif sequence in seen:
                yield FieldError(
                    path, f"variant {variant} already has a step {sequence}", Code.DUPLICATE
                )
            seen.add(sequence)
        expected = 1
        for sequence, index in sorted(pair for pair in numbered if pair[0] >= 1):
            if sequence > expected:
                yield FieldError(
                    f"messageTemplates.{index}.sequence",
                    f"variant {variant} has no step {expected}; number its steps 1, 2, 3… "
                    "without gaps",
                    Code.SEQUENCE_GAP,
                )
                break
            expected = sequence + 1


def _schedule_errors(schedule: Schedule) -> Iterator[FieldError]:
    if not schedule.send_times:
        yield FieldError("schedule.sendTimes", "choose at least one send time", Code.REQUIRED)
    for index, send_time in enumerate(schedule.send_times):
        path = f"schedule.sendTimes.{index}"
        if not _SEND_TIME.fullmatch(send_time):
            yield FieldError(
                path,
                f"'{send_time}' is not a time of day as HH:MM (24-hour clock)",
                Code.INVALID_TIME,
            )
        elif not SEND_WINDOW_OPENS <= send_time <= SEND_WINDOW_CLOSES:
            yield FieldError(
                path,
                f"{send_time} is not between {SEND_WINDOW_OPENS} and {SEND_WINDOW_CLOSES}, the "
                "hours the law allows outreach in the patient's own time zone",
                Code.OUTSIDE_LEGAL_HOURS,
            )
        elif send_time in schedule.send_times[:index]:
            yield FieldError(path, f"{send_time} is listed twice", Code.DUPLICATE)
    if not _is_time_zone(schedule.timezone):
        yield FieldError(
            "schedule.timezone",
            f"'{schedule.timezone}' is not an IANA time zone such as America/Chicago",
            Code.INVALID_TIME_ZONE,
        )
    start, end = schedule.start_date, schedule.end_date
    if start is not None and end is not None and end <= start:
        yield FieldError(
            "schedule.endDate", "the end date must come after the start date", Code.END_BEFORE_START
        )


def _is_time_zone(name: str) -> bool:
    if name in _NOT_CLINIC_ZONES:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _incentive_errors(incentive: Incentive) -> Iterator[FieldError]:
    if incentive.incentive_cost_cents < 0:
        yield FieldError("incentive.incentiveCostCents", "cannot be negative", Code.OUT_OF_RANGE)
    details = incentive.incentive_details or ""
    # Checked with or without an incentive: the text travels in every launch snapshot.
    if len(details) > INCENTIVE_DETAILS_MAX_LENGTH:
        yield FieldError(
            "incentive.incentiveDetails",
            f"must be at most {INCENTIVE_DETAILS_MAX_LENGTH} characters, not {len(details)}",
            Code.TOO_LONG,
        )
    if not incentive.has_incentive:
        return
    if not details.strip():
        yield FieldError(
            "incentive.incentiveDetails", "describe what the patient gets", Code.REQUIRED
        )
    code = incentive.incentive_code or ""
    if not code:
        yield FieldError(
            "incentive.incentiveCode",
            "an incentive needs a code, so the bookings that redeem it can be counted",
            Code.REQUIRED,
        )
    elif len(code) > INCENTIVE_CODE_MAX_LENGTH:
        yield FieldError(
            "incentive.incentiveCode",
            f"must be at most {INCENTIVE_CODE_MAX_LENGTH} characters",
            Code.TOO_LONG,
        )
    elif not _INCENTIVE_CODE.fullmatch(code):
        yield FieldError(
            "incentive.incentiveCode", "use only letters, digits and '-'", Code.INVALID
        )
