"""The one small interface every channel implements, and what crosses it."""

from dataclasses import dataclass, field
from typing import Any, Protocol

from reengage_common.events import Address, Channel, ClinicProfile


@dataclass(frozen=True)
class Outgoing:
    """One rendered message, ready for its provider."""

    message_id: str
    campaign_id: str
    patient_id: str
    clinic_id: str
    channel: Channel
    recipient_name: str | None
    email: str | None
    phone: str | None
    address: Address | None
    subject: str | None
    text: str
    html: str | None
    unsubscribe_link: str
    booking_link: str
    clinic: ClinicProfile
    sms_segments: int = 1
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Receipt:
    provider: str
    provider_message_id: str | None
    cost_cents: int


class ProviderError(Exception):
    """A provider refused or failed a call; `reason` is what the provider said."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientProviderError(ProviderError):
    """Worth retrying with backoff: 5xx, 429, a timeout, a dropped connection."""


class PermanentProviderError(ProviderError):
    """Retrying cannot help: the message is FAILED with this reason."""


def refusal(status_code: int, reason: str) -> ProviderError:
    """What an HTTP provider's non-success answer means: 429 and 5xx pass, anything else stays."""
    if status_code == 429 or status_code >= 500:
        return TransientProviderError(reason)
    return PermanentProviderError(reason)


class ChannelSender(Protocol):
    """A channel: `send` one message through its provider, or raise a ProviderError."""

    name: str

    async def start(self) -> None: ...

    async def send(self, message: Outgoing) -> Receipt: ...

    async def close(self) -> None: ...
