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


@dataclass(frozen=True)
class SmsSize:
    """`characters` counts the encoding's units: septets for GSM-7, UTF-16 code units for UCS-2."""

    encoding: Literal["GSM-7", "UCS-2"]
    characters: int
    segments: int


def sms_segments(text: str) -> SmsSize:
    """The encoding a phone network will use for `text`, its length and its segment count."""
    if all(char in GSM_BASIC or char in GSM_EXTENSION for char in text):
        units = [2 if char in GSM_EXTENSION else 1 for char in text]
        return SmsSize("GSM-7", sum(units), _segments(units, GSM_SINGLE, GSM_PART))
    # One character outside GSM-7 switches the whole message to UCS-2; an emoji is a surrogate
    # pair, two units.
    units = [len(char.encode("utf-16-le")) // 2 for char in text]
    return SmsSize("UCS-2", sum(units), _segments(units, UCS2_SINGLE, UCS2_PART))


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
