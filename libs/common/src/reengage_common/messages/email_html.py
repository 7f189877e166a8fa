"""The HTML part of an email: its rendered text, escaped, with our own links clickable."""

from collections.abc import Iterable
from html import escape

_PAGE = '<!DOCTYPE html>\n<html{}><body style="font-family: sans-serif">\n{}\n</body></html>\n'


def email_html(
    text: str, *, clickable: Iterable[str | None] = (), language: str | None = None
) -> str:
    """`text` as paragraphs (blank lines) and line breaks; the `clickable` links become anchors.

    Everything is escaped, merge data included: a patient named `<script>` stays text. Only the
    links we made are clickable, so a web address typed into a patient's name never is.
    """
    links = sorted(
        {escape(link) for link in clickable if link and link.startswith(("https://", "http://"))},
        key=len,
        reverse=True,
    )
    # Links hold no line breaks, so the text can be escaped and linked in one go, then split.
    linked = _linked(escape(text.replace("\r\n", "\n").strip()), links)
    html = "\n".join(
        f"<p>{'<br>'.join(paragraph.strip().splitlines())}</p>"
        for paragraph in linked.split("\n\n")
        if paragraph.strip()
    )
    # `lang` lets a screen reader speak the email in its own language.
    lang = f' lang="{escape(language)}"' if language else ""
    return _PAGE.format(lang, html)


def _linked(escaped: str, links: list[str]) -> str:
    # Longest first, splitting rather than replacing, so a link that is part of another one is
    # never wrapped inside the other's anchor.
    if not links:
        return escaped
    link, shorter = links[0], links[1:]
    anchor = f'<a href="{link}">{link}</a>'
    return anchor.join(_linked(piece, shorter) for piece in escaped.split(link))
