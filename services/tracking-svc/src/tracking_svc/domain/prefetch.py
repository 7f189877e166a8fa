"""Who opens a link without a patient: mail scanners and chat or SMS link previews.

They fetch every link of a message as it arrives, so counting them would make every patient
look like a clicker. A request is a prefetch when it says so (`Purpose: prefetch`,
`Sec-Purpose: prefetch`, browsers' speculative loads) or comes from a known link scanner.
Unknown scanners still count as clicks; that is why a click stops nothing (only a patient's
own answer, a booking or an opt-out does).
"""

from collections.abc import Mapping

# Lower-case fragments of the user agents of link scanners and preview fetchers.
SCANNER_AGENTS = (
    "slackbot",
    "facebookexternalhit",
    "facebookcatalog",
    "twitterbot",
    "whatsapp",
    "telegrambot",
    "discordbot",
    "linkedinbot",
    "skypeuripreview",
    "microsoft office",  # Outlook's link previews
    "safelinks",  # Microsoft Defender for Office 365 Safe Links
    "ms-office",
    "proofpoint",
    "mimecast",
    "barracuda",
    "google-safety",
    "googleimageproxy",
    "bingpreview",
    "applebot",
    "iframely",
    "embedly",
)


def is_prefetch(headers: Mapping[str, str]) -> bool:
    """Whether a request for a link is a machine's, not a patient's (header names lower-case)."""
    for name in ("purpose", "sec-purpose", "x-purpose", "x-moz"):
        if "prefetch" in headers.get(name, "").lower():
            return True
    agent = headers.get("user-agent", "").lower()
    return any(fragment in agent for fragment in SCANNER_AGENTS)
