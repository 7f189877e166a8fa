import pytest

from reengage_common.messages.opt_out import (
    SMS_OPT_OUT,
    with_email_unsubscribe,
    with_mail_opt_out,
    with_sms_opt_out,
)
from reengage_common.messages.sms import SmsSize, sms_segments


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SmsSize("GSM-7", 0, 1)),
        ("a" * 160, SmsSize("GSM-7", 160, 1)),
        ("a" * 161, SmsSize("GSM-7", 161, 2)),
        ("a" * 306, SmsSize("GSM-7", 306, 2)),
        ("a" * 307, SmsSize("GSM-7", 307, 3)),
        ("€" + "a" * 158, SmsSize("GSM-7", 160, 1)),
        ("€" + "a" * 159, SmsSize("GSM-7", 161, 2)),
        ("{}[]~|^\\", SmsSize("GSM-7", 16, 1)),
        ("Ça coûte 5 £ à Zürich", SmsSize("UCS-2", 21, 1)),
        ("é" * 160, SmsSize("GSM-7", 160, 1)),
        ("😀" + "a" * 68, SmsSize("UCS-2", 70, 1)),
        ("😀" + "a" * 69, SmsSize("UCS-2", 71, 2)),
        ("ā" * 70, SmsSize("UCS-2", 70, 1)),
        ("ā" * 71, SmsSize("UCS-2", 71, 2)),
        ("ā" * 134, SmsSize("UCS-2", 134, 2)),
        ("ā" * 135, SmsSize("UCS-2", 135, 3)),
    ],
)
def test_sms_size(text: str, expected: SmsSize) -> None:
    assert sms_segments(text) == expected


def test_an_escape_pair_is_never_split_across_parts() -> None:
    # 152 septets leave one in the first part; the euro sign needs two, so it moves on.
    text = "a" * 152 + "€" + "a" * 10

    assert sms_segments(text) == SmsSize("GSM-7", 164, 2)
    assert sms_segments("a" * 152 + "€" + "a" * 152) == SmsSize("GSM-7", 306, 3)


def test_an_emoji_is_never_split_across_parts() -> None:
    assert sms_segments("ā" * 66 + "😀" + "ā" * 66) == SmsSize("UCS-2", 134, 3)


def test_the_sms_opt_out_is_appended() -> None:
    assert with_sms_opt_out("See you soon! ") == f"See you soon!\n{SMS_OPT_OUT}"


@pytest.mark.parametrize(
    "body", ["See you. Reply STOP to opt out", "See you. reply stop to unsubscribe"]
)
def test_the_sms_opt_out_is_not_repeated(body: str) -> None:
    assert with_sms_opt_out(body) == body


def test_the_sms_opt_out_is_idempotent() -> None:
    once = with_sms_opt_out("Hi")

    assert with_sms_opt_out(once) == once


def test_a_word_stop_alone_is_not_an_opt_out() -> None:
    assert with_sms_opt_out("Don't stop smiling").endswith(SMS_OPT_OUT)


def test_a_letter_gets_what_ways_out_are_known() -> None:
    assert with_mail_opt_out("Dear Ann,", clinic_phone="555-0100", unsubscribe_link=None) == (
        "Dear Ann,\n\nTo stop receiving mail from us, call us at 555-0100."
    )


def test_a_letter_that_already_explains_the_opt_out_is_unchanged() -> None:
    body = "Dear Ann,\nTo opt out, call us."

    assert with_mail_opt_out(body, clinic_phone="555", unsubscribe_link="u") == body


def test_a_letter_without_a_way_out_is_refused() -> None:
    with pytest.raises(ValueError, match="opt-out"):
        with_mail_opt_out("Dear Ann,", clinic_phone=None, unsubscribe_link=None)


def test_the_email_footer_is_idempotent() -> None:
    once = with_email_unsubscribe("Hi", "https://u.example/1")

    assert with_email_unsubscribe(once, "https://u.example/1") == once
