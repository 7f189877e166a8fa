"""One stored message and its campaign into what a channel sends: merge data completed from
the snapshot, the step's template in the patient's language (`contact.language`, else the
campaign's default one), signed links, the shared rendering with its opt-out texts in the
patient's language, and the email's postal footer. A household message names its members
(`household.names`) and signs its links for the first of them (`domain/households.py`)."""

from datetime import datetime
from typing import Any

from dispatch_svc.channels.base import Outgoing
from dispatch_svc.domain.campaigns import fallback_template, step_of
from dispatch_svc.domain.households import carrier, first_names
from dispatch_svc.domain.messages import QueuedMessage
from reengage_common.clinic import email_footer
from reengage_common.clinic import merge_data as clinic_merge_data
from reengage_common.events import Address, CampaignLaunched, ClinicProfile, MessageTemplate
from reengage_common.messages import (
    LinkClaims,
    MessageLinks,
    booking_link,
    compile_step,
    household_merge_data,
    message_languages,
    render_message,
    unsubscribe_link,
)

# Only snapshots from before clinic profiles lack one.
DEFAULT_CLINIC = ClinicProfile(name="Your dental clinic", timezone="UTC")


class CannotCompose(ValueError):
    """The message cannot be made (no such step, a template the data cannot fill)."""


def clinic_of(snapshot: CampaignLaunched) -> ClinicProfile:
    return snapshot.clinic or DEFAULT_CLINIC


def merge_data_for(
    message: QueuedMessage, snapshot: CampaignLaunched, language: str | None = None
) -> dict[str, Any]:
    """The message's merge data, with the clinic and incentive the snapshot knows filled in,
    and who it names (`household`, in the template's `language`)."""
    data = dict(message.merge_data)
    data["household"] = household_merge_data(first_names(message), language)
    clinic = clinic_of(snapshot)
    data["clinic"] = {**clinic_merge_data(clinic), **(data.get("clinic") or {})}
    incentive = snapshot.incentive
    data["incentive"] = {
        "code": message.incentive_code or incentive.incentive_code,
        "details": incentive.incentive_details,
        **(data.get("incentive") or {}),
    }
    data.setdefault("patient", {})
    return data


def recipient_name(message: QueuedMessage) -> str | None:
    contact = message.contact
    if contact.get("name"):
        return contact["name"]
    patient = message.merge_data.get("patient") or {}
    name = " ".join(filter(None, [patient.get("firstName"), patient.get("lastName")]))
    return name or None


def template_of(message: QueuedMessage, snapshot: CampaignLaunched) -> MessageTemplate:
    """The step's template; for a channel fallback, its rule's (issue 22 #8)."""
    variant, sequence, channel = message.variant, message.sequence, message.channel
    if message.fallback_for is not None:
        rule = fallback_template(snapshot, variant, sequence, channel)
        if rule is None:
            raise CannotCompose(
                f"template: the campaign has no fallback by {channel} for step {sequence}"
            )
        return rule
    step = step_of(snapshot, variant, sequence)
    if step is None:
        raise CannotCompose(f"template: the campaign has no step {sequence} of variant {variant!r}")
    if step.channel is not channel:
        raise CannotCompose(
            f"template: step {step.sequence} is {step.channel.value}, not {channel}"
        )
    return step


def compose(
    message: QueuedMessage,
    snapshot: CampaignLaunched,
    *,
    link_secret: str,
    public_base_url: str,
    now: datetime,
) -> Outgoing:
    channel = message.channel
    step = template_of(message, snapshot)
    carried_by, patient_id = carrier(message)
    claims = LinkClaims(
        message_id=carried_by,
        campaign_id=message.campaign_id,
        patient_id=patient_id,
        clinic_id=message.clinic_id,
        channel=channel,
    )
    links = MessageLinks(
        unsubscribe=unsubscribe_link(public_base_url, link_secret, claims, now=now),
        booking=booking_link(public_base_url, link_secret, claims, now=now),
    )
    clinic = clinic_of(snapshot)
    contact = message.contact
    languages = message_languages(step, contact.get("language"), snapshot.default_language)
    try:
        rendered = render_message(
            compile_step(step, languages.template),
            merge_data_for(message, snapshot, languages.template),
            links,
            now=now,
            locale=languages.template,
            wording_language=languages.wording,
            email_footer=email_footer(clinic),
        )
    except ValueError as exc:  # TemplateRefused / TemplateRenderFailed
        raise CannotCompose(f"template: {exc}") from exc
    address = contact.get("address")
    return Outgoing(
        message_id=message.message_id,
        campaign_id=message.campaign_id,
        patient_id=message.patient_id,
        clinic_id=message.clinic_id,
        channel=channel,
        recipient_name=recipient_name(message),
        email=contact.get("email"),
        phone=contact.get("phone"),
        address=Address.model_validate(address) if address else None,
        subject=rendered.subject,
        text=rendered.body,
        html=rendered.html,
        unsubscribe_link=links.unsubscribe,
        booking_link=links.booking,
        clinic=clinic,
        sms_segments=rendered.sms.segments if rendered.sms else 1,
    )
