"""A launch sends only as a verified sender (issue 17 #8): an email sender's domain on
VERIFIED_SENDER_DOMAINS, an SMS number assigned to the clinic in SMS_NUMBERS."""

import pytest

from campaign_svc.config import CampaignSettings
from campaign_svc.domain.senders import VerifiedSenders, sender_errors
from reengage_common.clinic import parse_profile
from reengage_common.error_codes import CampaignErrorCode
from reengage_common.events import Channel
from reengage_testing import COMPLETE_CLINIC_PROFILE

PROFILE = parse_profile(COMPLETE_CLINIC_PROFILE)  # hello@brightsmiles.example, +15005550006
BOTH = [Channel.EMAIL, Channel.SMS]


def refused(senders: VerifiedSenders, clinic_id: str = "clinic-a", profile=PROFILE) -> list:
    errors = sender_errors(profile, BOTH, clinic_id=clinic_id, senders=senders)
    assert {e.code for e in errors} <= {CampaignErrorCode.SENDER_NOT_VERIFIED}
    return [e.field for e in errors]


def settings(**values) -> CampaignSettings:
    # Production's other start-up checks (keys, secrets) are not what is tested here.
    return CampaignSettings.model_construct(**values)


def test_production_with_no_verified_domains_or_numbers_refuses_every_sender() -> None:
    senders = settings(env="production").verified_senders()

    assert refused(senders) == ["clinic.emailFrom", "clinic.smsFrom"]


def test_a_verified_domain_and_an_assigned_number_pass() -> None:
    senders = settings(
        env="production",
        verified_sender_domains="other.com, brightsmiles.example",
        sms_numbers={"clinic-a": ["+15005550006"]},
    ).verified_senders()

    assert refused(senders) == []
    # another clinic's launch with the same number is sending as clinic-a
    assert refused(senders, clinic_id="clinic-b") == ["clinic.smsFrom"]


@pytest.mark.parametrize(
    ("sender", "allowed"),
    [
        ("Clinic <hi@brightsmiles.example>", True),
        ("Clinic <hi@BrightSmiles.Example>", True),
        ("Clinic <hi@mail.brightsmiles.example>", False),  # a subdomain is not the domain
        ("Clinic <hi@brightsmiles.example.evil.com>", False),
        ("Clinic <hi@evilbrightsmiles.example>", False),
        ("Clinic <hi@news.clinic.com>", True),  # "*.clinic.com"
        ("Clinic <hi@a.b.clinic.com>", True),
        ("Clinic <hi@clinic.com>", False),  # "*.clinic.com" is what lies under it
    ],
)
def test_domains_match_exactly_or_under_a_wildcard(sender: str, allowed: bool) -> None:
    senders = VerifiedSenders(frozenset({"brightsmiles.example", "*.clinic.com"}), None)
    profile = PROFILE.model_copy(update={"email_from": sender})

    assert refused(senders, profile=profile) == ([] if allowed else ["clinic.emailFrom"])


def test_development_verifies_the_example_domains_and_any_number() -> None:
    senders = settings(env="development").verified_senders()
    bench = PROFILE.model_copy(update={"email_from": "Bench <hello@bench-dental.example>"})
    real = PROFILE.model_copy(update={"email_from": "Someone <ceo@bigbrand.com>"})

    assert refused(senders) == []
    assert refused(senders, profile=bench) == []
    assert refused(senders, profile=real) == ["clinic.emailFrom"]


def test_only_the_channels_a_campaign_uses_need_their_sender_verified() -> None:
    senders = settings(env="production").verified_senders()

    errors = sender_errors(PROFILE, [Channel.MAIL], clinic_id="clinic-a", senders=senders)

    assert errors == []
