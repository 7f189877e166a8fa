"""Whose name a campaign may send under: a clinic's email sender must be on a domain the
platform verified, its SMS number one the platform assigned to that clinic.

Without this a clinic could send as another clinic or brand, and (replies being matched by the
number they were sent to) capture that clinic's replies. Checked at launch, where the sender is
first used; the profile itself may hold an unverified sender while the domain is being set up.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.utils import parseaddr

from campaign_svc.domain.model import FieldError
from reengage_common.error_codes import CampaignErrorCode
from reengage_common.events import Channel, ClinicProfile


@dataclass(frozen=True)
class VerifiedSenders:
    """`email_domains`: "clinic.com" is that domain, "*.clinic.com" any domain under it.
    `sms_numbers`: clinic id -> its E.164 numbers; None means any number (development only)."""

    email_domains: frozenset[str]
    sms_numbers: Mapping[str, frozenset[str]] | None

    def email_domain_verified(self, domain: str) -> bool:
        domain = domain.lower().rstrip(".")
        if domain in self.email_domains:
            return True
        parents = domain.split(".")[1:]
        return any("*." + ".".join(parents[i:]) in self.email_domains for i in range(len(parents)))

    def sms_number_assigned(self, clinic_id: str, number: str) -> bool:
        if self.sms_numbers is None:
            return True
        return number in self.sms_numbers.get(clinic_id, frozenset())


def sender_errors(
    profile: ClinicProfile | None,
    channels: Iterable[Channel],
    *,
    clinic_id: str,
    senders: VerifiedSenders,
) -> list[FieldError]:
    """One SENDER_NOT_VERIFIED error per sender the campaign's channels use unverified; a
    missing sender is the profile rules' PROFILE_INCOMPLETE, not repeated here."""
    if profile is None:
        return []
    chosen = set(channels)
    errors = []
    if Channel.EMAIL in chosen and profile.email_from:
        domain = parseaddr(profile.email_from)[1].rpartition("@")[2]
        if not senders.email_domain_verified(domain):
            why = f"the domain {domain or '(none)'} is not verified for sending"
            errors.append(_unverified("emailFrom", why + "; ask the platform to verify it"))
    number = profile.sms_from
    if Channel.SMS in chosen and number and not senders.sms_number_assigned(clinic_id, number):
        why = f"{number} is not a number assigned to this clinic"
        errors.append(_unverified("smsFrom", why + "; use one the platform assigned"))
    return errors


def _unverified(field: str, message: str) -> FieldError:
    return FieldError(f"clinic.{field}", message, CampaignErrorCode.SENDER_NOT_VERIFIED)
