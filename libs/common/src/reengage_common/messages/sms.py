"""How big an SMS is: its encoding and how many billed segments it takes."""

from dataclasses import dataclass
from typing import Literal

# GSM 03.38 basic character set (the escape code 0x1B left out: it only introduces the extension).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Sent as escape + code, so each costs two septets.
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM_SINGLE, GSM_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

_GSM = GSM_BASIC | GSM_EXTENSION
_LAST_SINGLE_UNIT = "\uffff"  # beyond the Basic Multilingual Plane, UTF-16 needs two units


@dataclass(frozen=True)
class SmsSize:
    """`characters` counts the encoding's units: septets for GSM-7, UTF-16 code units for UCS-2."""

    encoding: Literal["GSM-7", "UCS-2"]
    characters: int
    segments: int


def sms_segments(text: str) -> SmsSize:
    """The encoding a phone network will use for `text`, its length and its segment count."""
    characters = set(text)
    if characters <= _GSM:
        if characters.isdisjoint(GSM_EXTENSION):
            return SmsSize("GSM-7", len(text), _plain_segments(len(text), GSM_SINGLE, GSM_PART))
        units = [2 if char in GSM_EXTENSION else 1 for char in text]
        return SmsSize("GSM-7", sum(units), _segments(units, GSM_SINGLE, GSM_PART))
    # One character outside GSM-7 switches the whole message to UCS-2; an emoji is a surrogate
    # pair, two units.
    if max(text) <= _LAST_SINGLE_UNIT:
        return SmsSize("UCS-2", len(text), _plain_segments(len(text), UCS2_SINGLE, UCS2_PART))
    units = [len(char.encode("utf-16-le")) // 2 for char in text]
    return SmsSize("UCS-2", sum(units), _segments(units, UCS2_SINGLE, UCS2_PART))


def _plain_segments(length: int, single: int, part: int) -> int:
    # Every character one unit: nothing to keep whole across a part boundary.
    return 1 if length <= single else -(-length // part)


def _segments(units: list[int], single: int, part: int) -> int:
    if sum(units) <= single:
        return 1
    # A multipart header takes room from every part, and an escape pair or a surrogate pair is
    # never split across two parts: it moves whole to the next one.
    segments, room = 1, part
    for size in units:
        if size > room:
            segments, room = segments + 1, part
        room -= size
    return segments
