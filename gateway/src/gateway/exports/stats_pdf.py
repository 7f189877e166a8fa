"""A campaign's stats page as a PDF for the practice owner (fpdf2, the library dispatch-svc
prints letters with): the funnel, money and ROI, rates, channels, steps, variants and the
holdout's lift, on one or two A4 pages.

The PDF core fonts hold Latin-1 only, and a production image carries no TTF fonts, so text
is brought into Latin-1 first: accents kept where Latin-1 has them, other letters reduced to
their base (NFKD), anything else `?`.
"""

import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from fpdf import FPDF

from gateway.exports.csv_rows import MESSAGE_FIGURES

# Typographic quotes, dashes and the ellipsis (by code point: they read like ASCII ones).
PUNCTUATION = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
    }
)
FUNNEL = (
    ("Targeted", "targeted"),
    ("Held out (control)", "heldOut"),
    ("Contacted", "contacted"),
    ("Messages sent", "sent"),
    ("Delivered", "delivered"),
    ("Responded", "responded"),
    ("Interested", "interested"),
    ("Clicked", "clicked"),
    ("Rebooked", "rebooked"),
    ("Unsubscribed", "unsubscribed"),
    ("Bounced", "bounced"),
)
MONEY = (
    ("Revenue from rebooked", "revenueCents"),
    ("Message cost", "messageCostCents"),
    ("Incentive cost", "incentiveCostCents"),
    ("Total cost", "costCents"),
)


def latin1(text: Any) -> str:
    out = []
    for char in str(text).translate(PUNCTUATION):
        if ord(char) < 256:
            out.append(char)
            continue
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        out.append(base if base and all(ord(c) < 256 for c in base) else "?")
    return "".join(out)


def money(cents: Any) -> str:
    return f"${(cents or 0) / 100:,.2f}"


def percent(rate: Any) -> str:
    return "-" if rate is None else f"{rate * 100:.1f}%"


def stats_pdf(campaign: Mapping[str, Any], stats: Mapping[str, Any], *, made_at: datetime) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(latin1(f"{campaign.get('name')} - campaign statistics"))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 9, latin1(campaign.get("name") or "Campaign"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    launched = campaign.get("launchedAt") or "not launched"
    line = f"Status {campaign.get('status')} - launched {launched} - as of {made_at:%Y-%m-%d %H:%M} UTC"
    pdf.cell(0, 5, latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    _table(pdf, "Funnel", ("", "patients"), [(label, stats.get(key) or 0) for label, key in FUNNEL])
    roi = stats.get("roi")
    money_rows = [(label, money(stats.get(key))) for label, key in MONEY]
    money_rows.append(("ROI (revenue - cost) / cost", "-" if roi is None else f"{roi:.2f}"))
    _table(pdf, "Money", ("", ""), money_rows)
    rates = stats.get("rates") or {}
    _table(pdf, "Rates", ("", ""), [(name, percent(value)) for name, value in rates.items()])
    _breakdown(pdf, "By channel", "channel", stats.get("byChannel") or [])
    _breakdown(pdf, "By step", "sequence", stats.get("byStep") or [])
    variants = stats.get("byVariant") or []
    if variants:
        _table(
            pdf,
            "By variant",
            ("variant", "recipients", "responded", "rebooked", "revenue", "ROI"),
            [
                (
                    v.get("variant"),
                    v.get("recipients") or 0,
                    v.get("responded") or 0,
                    v.get("rebooked") or 0,
                    money(v.get("revenueCents")),
                    "-" if v.get("roi") is None else f"{v['roi']:.2f}",
                )
                for v in variants
            ],
        )
    lift = stats.get("lift") or {}
    if lift.get("heldOut"):
        _table(
            pdf,
            "Against the holdout",
            ("", ""),
            [
                ("Rebook rate, contacted", percent(lift.get("treatedRebookRate"))),
                ("Rebook rate, held out", percent(lift.get("holdoutRebookRate"))),
                ("Incremental rebookings", lift.get("incrementalRebookings") or 0),
                ("p-value", "-" if lift.get("pValue") is None else f"{lift['pValue']:.3f}"),
            ],
        )
    return bytes(pdf.output())


def _breakdown(pdf: FPDF, title: str, key: str, groups: Sequence[Mapping[str, Any]]) -> None:
    if not groups:
        return
    header = (key, *MESSAGE_FIGURES[:-1], "cost")
    rows = [
        (
            group.get(key),
            *(group.get(figure) or 0 for figure in MESSAGE_FIGURES[:-1]),
            money(group.get("costCents")),
        )
        for group in groups
    ]
    _table(pdf, title, header, rows)


def _table(pdf: FPDF, title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        return
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, latin1(title), new_x="LMARGIN", new_y="NEXT")
    width = (pdf.w - pdf.l_margin - pdf.r_margin) / len(header)
    pdf.set_font("Helvetica", "B", 8)
    for name in header:
        pdf.cell(width, 5, latin1(name), border="B")
    pdf.ln()
    pdf.set_font("Helvetica", size=9)
    for row in rows:
        for index, value in enumerate(row):
            text = f"{value:,}" if isinstance(value, int) else latin1(value)
            pdf.cell(width, 5, text, align="R" if index else "L")
        pdf.ln()
    pdf.ln(2)
