"""Twilio's wire formats, as documented: request signatures, segments, JSON shapes.

Pure functions, so the tests check the algorithms apart from HTTP.
"""

import base64
import hashlib
import hmac
import math
import re
from collections.abc import Iterable
from datetime import datetime
from email.utils import format_datetime
from typing import Any

API_VERSION = "2010-04-01"
E164 = re.compile(r"^\+[1-9]\d{1,14}$")
MAX_BODY_CHARS = 1600

# GSM 03.38: the basic set costs one septet, the extension set two (escape + char)
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")


def request_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """X-Twilio-Signature: base64(HMAC-SHA1(token, url + each key+value, sorted by key)).

    The URL is the full URL Twilio requested, query string included. Repeated keys
    contribute every value, in sorted order (as Twilio's own validators do).
    """
    payload = url + "".join(key + value for key, value in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def num_segments(body: str) -> int:
    """Segments an SMS body is split into: GSM-7 160/153 septets, else UCS-2 70/67."""
    if not body:
        return 1
    if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in body):
        septets = sum(2 if char in GSM7_EXTENSION else 1 for char in body)
        return 1 if septets <= 160 else math.ceil(septets / 153)
    # UCS-2 counts UTF-16 code units: an emoji takes two
    units = len(body.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


def error_body(code: int, message: str, status: int) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def rfc2822(moment: datetime) -> str:
    """Twilio's date format: 'Thu, 24 Aug 2023 05:01:45 +0000'."""
    return format_datetime(moment).replace("-0000", "+0000")


def message_resource(
    *, sid: str, account_sid: str, to: str, from_: str, body: str, status: str, now: datetime
) -> dict[str, Any]:
    """A Message resource as the Messages API returns it (counts are strings there)."""
    uri = f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}"
    return {
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "body": body,
        "date_created": rfc2822(now),
        "date_sent": None,
        "date_updated": rfc2822(now),
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": from_,
        "messaging_service_sid": None,
        "num_media": "0",
        "num_segments": str(num_segments(body)),
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": status,
        "subresource_uris": {"media": f"{uri}/Media.json"},
        "to": to,
        "uri": f"{uri}.json",
    }
