"""What the public endpoints' inputs mean (domain.public_responses), without a server: the
routes only parse, and tests/integration/test_tracking_responses.py drives the same rules
through them against Kafka and FerretDB."""

from reengage_common.events import Channel, ResponseKind
from reengage_common.messages import LinkClaims
from tracking_svc.domain.public_responses import (
    click_response,
    email_event_outcome,
    reply_response,
    sms_status_outcome,
    unsubscribe_response,
)
from tracking_svc.domain.replies import ReplyMeaning

CLAIMS = LinkClaims(
    message_id="m-1", campaign_id="c-1", patient_id="p-1", clinic_id="cl", channel=Channel.EMAIL
)


def test_stop_yes_and_no_replies_are_responses_once_per_message_sid() -> None:
    kinds = {
        meaning: reply_response(
            meaning, clinic_id="cl", campaign_id="c-1", patient_id="p-1", message_sid="SM1"
        )
        for meaning in ReplyMeaning
    }
    assert {m: r.kind for m, r in kinds.items() if r} == {
        ReplyMeaning.STOP: ResponseKind.UNSUBSCRIBED,
        ReplyMeaning.INTERESTED: ResponseKind.INTERESTED,
        ReplyMeaning.NOT_INTERESTED: ResponseKind.NOT_INTERESTED,
    }
    assert kinds[ReplyMeaning.HELP] is None and kinds[ReplyMeaning.OTHER] is None
    stop = kinds[ReplyMeaning.STOP]
    assert stop is not None and (stop.dedupe, stop.channel) == ("twilio:SM1", Channel.SMS)


def test_an_unsubscribe_is_one_per_campaign_patient_and_channel_a_click_one_per_message() -> None:
    unsubscribed = unsubscribe_response(CLAIMS)
    assert (unsubscribed.kind, unsubscribed.channel) == (ResponseKind.UNSUBSCRIBED, Channel.EMAIL)
    assert unsubscribed.dedupe == "unsubscribe:cl:c-1:p-1:EMAIL"
    clicked = click_response(CLAIMS, None)
    assert (clicked.kind, clicked.channel, clicked.dedupe) == (
        ResponseKind.CLICKED,
        None,
        "click:cl:m-1:CLICKED",
    )


def test_provider_callbacks_count_deliveries_and_only_permanent_failures() -> None:
    assert sms_status_outcome("delivered", None) == "delivered"
    assert sms_status_outcome("undelivered", "30006") == "bounced"
    assert sms_status_outcome("undelivered", "30001") is None  # a busy network: not a bounce
    assert sms_status_outcome("sent", None) is None
    assert email_event_outcome("delivered", "") == "delivered"
    assert email_event_outcome("complaint", "") == "complained"
    assert email_event_outcome("bounce", "Permanent") == "bounced"
    assert email_event_outcome("bounce", "soft") is None
