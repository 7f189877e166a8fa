"""How a fake answers its next requests: normally, failing, or slowly.

Tests and load runs switch it over HTTP (`POST /_fake/behaviour`):

    {"mode": "transient", "count": 3}   next 3 calls fail with a retryable 5xx
    {"mode": "rate_limited", "count": 2} next 2 calls answer 429 with Retry-After
    {"mode": "permanent"}               every call fails with a provider error (4xx)
    {"mode": "slow", "seconds": 2}      every call waits first, then succeeds
    {"mode": "normal"}                  back to normal
    {"failRecipients": ["+15550001111"]} these recipients always fail permanently
    {"undeliverableRecipients": [...]}  accepted, then reported undelivered (Twilio)
    {"statusCallbacks": false}          no status callbacks (Twilio)

Keys combine; a key left out keeps its value.
"""

import asyncio
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Mode(StrEnum):
    NORMAL = "normal"
    TRANSIENT = "transient"
    RATE_LIMITED = "rate_limited"
    PERMANENT = "permanent"
    SLOW = "slow"


class BehaviourError(ValueError):
    """A behaviour request the fake cannot follow; the message names the field."""


@dataclass
class Behaviour:
    mode: Mode = Mode.NORMAL
    remaining: int = 0
    seconds: float = 0.0
    fail_recipients: set[str] = field(default_factory=set)
    undeliverable_recipients: set[str] = field(default_factory=set)
    status_callbacks: bool = True

    def update(self, payload: dict[str, Any]) -> None:
        if "mode" in payload:
            self._set_mode(payload)
        if "failRecipients" in payload:
            self.fail_recipients = _recipients(payload, "failRecipients")
        if "undeliverableRecipients" in payload:
            self.undeliverable_recipients = _recipients(payload, "undeliverableRecipients")
        if "statusCallbacks" in payload:
            if not isinstance(payload["statusCallbacks"], bool):
                raise BehaviourError("statusCallbacks: expected true or false")
            self.status_callbacks = payload["statusCallbacks"]

    def _set_mode(self, payload: dict[str, Any]) -> None:
        try:
            mode = Mode(payload["mode"])
        except ValueError:
            raise BehaviourError(f"mode: one of {[m.value for m in Mode]}") from None
        count = payload.get("count", 1)
        seconds = payload.get("seconds", 1.0)
        if not isinstance(count, int) or count < 1:
            raise BehaviourError("count: a positive integer")
        if not isinstance(seconds, int | float) or seconds < 0:
            raise BehaviourError("seconds: a non-negative number")
        self.mode, self.remaining, self.seconds = mode, count, float(seconds)

    async def outcome(self, recipient: str) -> Mode:
        """The fate of one provider call: NORMAL, or the failure it must answer with."""
        if self.mode is Mode.SLOW:
            await asyncio.sleep(self.seconds)
            return Mode.NORMAL
        if self.mode in (Mode.TRANSIENT, Mode.RATE_LIMITED):
            mode = self.mode
            self.remaining -= 1
            if self.remaining <= 0:
                self.mode = Mode.NORMAL
            return mode
        if self.mode is Mode.PERMANENT or recipient in self.fail_recipients:
            return Mode.PERMANENT
        return Mode.NORMAL

    def as_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode.value,
            "remaining": self.remaining,
            "seconds": self.seconds,
            "failRecipients": sorted(self.fail_recipients),
            "undeliverableRecipients": sorted(self.undeliverable_recipients),
            "statusCallbacks": self.status_callbacks,
        }


def _recipients(payload: dict[str, Any], key: str) -> set[str]:
    value = payload[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BehaviourError(f"{key}: a list of strings")
    return set(value)
