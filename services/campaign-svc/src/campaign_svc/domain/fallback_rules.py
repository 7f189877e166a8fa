"""The rules a campaign's channel fallback (`channelFallback`, issue 22 #8) meets when saved.

A rule says where a step goes when its channel cannot reach the patient: `channel` is the one
that fails (EMAIL: the address is refused or bounces; SMS: the number is invalid or the text
undeliverable; a letter reports neither, so MAIL never falls back), `to` the one tried
instead, with a template of its own (a step's text rarely reads well by another channel). Its
template meets the steps' template rules (`template_rules.part_errors`), in the campaign's
default language.
"""

from collections.abc import Iterator
from datetime import datetime

from campaign_svc.domain.model import CampaignInput, FieldError
from campaign_svc.domain.template_rules import fallback_template_errors
from reengage_common.error_codes import CampaignErrorCode as Code
from reengage_common.events import Channel, ChannelFallback

# The channels whose failure a provider reports (SMTP refusals and bounces, Twilio's errors
# and status callbacks).
FALLS_BACK_FROM = (Channel.EMAIL, Channel.SMS)
# A rule per channel and target at most: more than that is a mistake, not a choice.
MAX_RULES = len(FALLS_BACK_FROM) * (len(Channel) - 1)


def fallback_errors(campaign: CampaignInput, now: datetime) -> Iterator[FieldError]:
    """Every problem of every rule, at `channelFallback.N.<field>`."""
    rules = campaign.channel_fallback
    if len(rules) > MAX_RULES:
        yield FieldError("channelFallback", f"at most {MAX_RULES} rules", Code.OUT_OF_RANGE)
        return
    seen: set[tuple[Channel, Channel]] = set()
    for index, rule in enumerate(rules):
        path = f"channelFallback.{index}"
        yield from _rule_errors(rule, path, seen)
        seen.add((rule.channel, rule.to))
        yield from fallback_template_errors(campaign, rule, path, now)


def _rule_errors(
    rule: ChannelFallback, path: str, seen: set[tuple[Channel, Channel]]
) -> Iterator[FieldError]:
    if rule.channel not in FALLS_BACK_FROM:
        yield FieldError(
            f"{path}.channel",
            "only an EMAIL or an SMS can fail or bounce: a letter never falls back",
            Code.INVALID,
        )
    if rule.to is rule.channel:
        yield FieldError(f"{path}.to", "a fallback goes by another channel", Code.INVALID)
    elif (rule.channel, rule.to) in seen:
        yield FieldError(
            f"{path}.to", f"{rule.channel} already falls back to {rule.to}", Code.DUPLICATE
        )
    if rule.to is Channel.EMAIL and not (rule.subject or "").strip():
        yield FieldError(f"{path}.subject", "an email needs a subject", Code.REQUIRED)
    if not rule.body.strip():
        yield FieldError(f"{path}.body", "a message needs a body", Code.REQUIRED)


def fallback_channels(campaign: CampaignInput) -> list[Channel]:
    """The channels the fallback may use (for the clinic profile's checks at launch)."""
    return sorted({rule.to for rule in campaign.channel_fallback})
