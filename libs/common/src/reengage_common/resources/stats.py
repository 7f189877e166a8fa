"""The stats resource: a campaign's figures as tracking-svc answers them (`/stats/batch`, the
campaign's stats), which the gateway shows over GraphQL (`CampaignStats`) and REST.

tracking-svc computes them (`tracking_svc.domain.stats`); every figure has a default, so a
campaign tracking-svc has counted nothing of yet reads as zeros, and names this model does not
know (tracking's own A/B inputs, e.g. `contactedResponded`) are ignored.
"""

from pydantic import Field

from reengage_common.events import Channel, Wire


class Rates(Wire):
    """Rates of a group of recipients; None where nothing was counted."""

    delivery: float | None = None
    response: float | None = None
    interest: float | None = None
    click: float | None = None
    rebook: float | None = None
    unsubscribe: float | None = None
    bounce: float | None = None
    failure: float | None = None


class Figures(Wire):
    """What is counted of a group of recipients (holdout excluded): a campaign or one variant."""

    recipients: int = 0
    contacted: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    skipped: int = 0
    responded: int = 0
    interested: int = 0
    not_interested: int = 0
    clicked: int = 0
    replied: int = 0
    rebooked: int = 0
    unsubscribed: int = 0
    bounced: int = 0
    fallbacks: int = Field(
        default=0, description="Channel fallbacks: messages sent again by another channel"
    )
    fallbacks_sent: int = Field(default=0, description="Channel fallbacks that went out")
    message_cost_cents: int = 0
    incentives_redeemed: int = 0
    incentive_cost_cents: int = 0
    revenue_cents: int = 0
    cost_cents: int = 0
    roi: float | None = Field(default=None, description="(revenue from rebooked - cost) / cost")
    rates: Rates = Field(default_factory=Rates)


class VariantStats(Figures):
    variant: str


class MessageStats(Wire):
    """Messages of one channel (`channel`) or one step (`sequence`)."""

    channel: Channel | None = None
    sequence: int | None = None
    due: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    skipped: int = 0
    cost_cents: int = 0
    fallbacks: int = Field(
        default=0,
        description="Channel fallbacks among these messages (by channel: the ones it carried)",
    )
    responses: dict[str, int] | None = Field(
        default=None, description="response kind -> recipients (by channel only)"
    )


class VariantComparison(Wire):
    """A two-proportion z-test between two variants; a winner only when p < 0.05."""

    metric: str = Field(description="responded or rebooked")
    variant_a: str
    variant_b: str
    rate_a: float | None = None
    rate_b: float | None = None
    z: float | None = None
    p_value: float | None = None
    significant: bool = False
    winner: str | None = None


class Winners(Wire):
    """Per metric, the variant that beat every other one significantly, if one did."""

    responded: str | None = None
    rebooked: str | None = None


class Lift(Wire):
    """Contacted recipients against the holdout that got nothing."""

    held_out: int = 0
    holdout_rebooked: int = 0
    holdout_rebook_rate: float | None = None
    treated_rebook_rate: float | None = None
    absolute_lift: float | None = None
    relative_lift: float | None = None
    incremental_rebookings: float | None = None
    p_value: float | None = None
    significant: bool = False


class CampaignStats(Figures):
    """A campaign's figures; ROI = (revenue from rebooked - cost) / cost."""

    campaign_id: str
    targeted: int = 0
    held_out: int = 0
    excluded: dict[str, int] = Field(default_factory=dict, description="reason -> patients")
    status_counts: dict[str, int] = Field(
        default_factory=dict, description="recipients (holdout excluded) by status"
    )
    by_variant: list[VariantStats] = Field(default_factory=list)
    by_channel: list[MessageStats] = Field(default_factory=list)
    by_step: list[MessageStats] = Field(default_factory=list)
    ab_tests: list[VariantComparison] = Field(
        default_factory=list, description="two-proportion z-tests; a winner only when p < 0.05"
    )
    winner: Winners = Field(default_factory=Winners)
    lift: Lift = Field(default_factory=Lift, description="against the holdout")
