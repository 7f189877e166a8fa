"""Per-message rules just before a send: a response, an opt-out or a consent withdrawn by the
clinic's systems since targeting wins."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from dispatch_svc.domain.campaigns import SEQUENCE_STOPPERS
from dispatch_svc.domain.consents import ConsentChange, ConsentRestrictions
from reengage_common.events import Channel, ResponseKind


class Undeliverable(str):
    """A skip reason saying the channel cannot reach the patient (it bounced before): its
    `message.sent` says `undeliverable`, so a channel fallback may take the step."""


@dataclass(frozen=True)
class Response:
    """What tracking-svc reported about a patient (`recipient.responded`)."""

    clinic_id: str
    campaign_id: str
    patient_id: str
    kind: ResponseKind
    channel: Channel | None


@dataclass
class ResponsesAndConsents:
    """Everything of one clinic that stops a message just before its send: the patients'
    responses (opt-outs, sequence stoppers) and the consent restrictions its systems sent."""

    # (patient, channel or None for every channel) that unsubscribed
    opted_out: set[tuple[str, Channel | None]] = field(default_factory=set)
    # (campaign, patient) -> the first response that ends the sequence (a bounce aside)
    stopped: dict[tuple[str, str], ResponseKind] = field(default_factory=dict)
    # (campaign, patient) -> the channels that bounced (None: the channel was not said)
    bounced: dict[tuple[str, str], set[Channel | None]] = field(default_factory=dict)
    # what the clinic's systems withdrew (`patient.upserted`)
    consents: ConsentRestrictions = field(default_factory=ConsentRestrictions)

    @classmethod
    def of(
        cls, responses: Iterable[Response], consent_changes: Iterable[ConsentChange] = ()
    ) -> "ResponsesAndConsents":
        index = cls(consents=ConsentRestrictions.of(consent_changes))
        for response in responses:
            if response.kind is ResponseKind.UNSUBSCRIBED:
                index.opted_out.add((response.patient_id, response.channel))
            key = (response.campaign_id, response.patient_id)
            if response.kind is ResponseKind.BOUNCED:
                index.bounced.setdefault(key, set()).add(response.channel)
            elif response.kind in SEQUENCE_STOPPERS:
                index.stopped.setdefault(key, response.kind)
        return index

    def skip_reason(
        self,
        campaign_id: str,
        patient_id: str,
        channel: Channel,
        falls_back: frozenset[Channel] = frozenset(),
    ) -> str | None:
        """Why this message must not go, or None. Opt-outs and consents hold across the
        clinic's campaigns. A bounce ends the sequence, unless the campaign falls back from
        every channel that bounced (`falls_back`, its channelFallback): then only those
        channels are closed, and a message by one is `Undeliverable` (its fallback follows)."""
        withheld = self.consents.skip_reason(patient_id, channel)
        if withheld is not None:
            return withheld
        if (patient_id, channel) in self.opted_out or (patient_id, None) in self.opted_out:
            return f"unsubscribed from {channel.value}"
        kind = self.stopped.get((campaign_id, patient_id))
        if kind is not None:
            return f"recipient responded ({kind.value})"
        return self._bounce_reason(self.bounced.get((campaign_id, patient_id)), channel, falls_back)

    @staticmethod
    def _bounce_reason(
        bounced: set[Channel | None] | None, channel: Channel, falls_back: frozenset[Channel]
    ) -> str | None:
        if not bounced:
            return None
        if not bounced <= falls_back:  # falls_back holds channels, never None
            return f"recipient responded ({ResponseKind.BOUNCED.value})"
        if channel in bounced:
            return Undeliverable(f"{channel.value} bounced before")
        return None
