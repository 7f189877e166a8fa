"""Hypothesis: whatever valid events say of a patient (as hostile as the contract allows), the
projection folds them, derives a targeting row, evaluates a campaign and writes its messages:
none of it may raise, since it runs for the whole clinic (a compaction round, an estimate, a
fan-out) and one patient would stop it for everyone."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audience_svc.blobs import pack, unpack
from audience_svc.domain.facts import fact_of, fold, targeting_row
from audience_svc.domain.messages import PlanEvents
from audience_svc.domain.targeting import Audience, evaluate
from reengage_common.events import (
    AppointmentUpdated,
    CampaignLaunched,
    MessageSent,
    PatientUpserted,
    RecipientResponded,
    parse,
)
from reengage_testing.hostile import valid_envelope

INBOUND = (PatientUpserted, AppointmentUpdated, MessageSent, RecipientResponded)
EVENTS = st.lists(st.one_of(*(valid_envelope(model) for model in INBOUND)), max_size=8)
NOW = 1_800_000_000.0


@settings(
    max_examples=400, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
@given(raws=EVENTS, campaign=valid_envelope(CampaignLaunched))
def test_any_valid_patient_facts_fold_target_and_make_messages(raws, campaign) -> None:
    facts = [fact for raw in raws if (fact := fact_of(parse(raw))) is not None]
    states: dict = {}
    fold(states, unpack(pack(facts)))  # as stored and read back
    rows = [row for state in states.values() if (row := targeting_row(state)) is not None]
    launched: CampaignLaunched = parse(campaign).data
    audience = Audience(
        campaign_id=launched.campaign_id,
        targeting=launched.targeting,
        channels=tuple(c.value for c in launched.channels),
        steps=tuple(launched.message_templates),
        variants=tuple(launched.variants) or Audience.__dataclass_fields__["variants"].default,
        holdout_percent=launched.holdout_percent,
        merge_fields=("patient.firstName", "patient.lastVisitDate"),
    )
    if not audience.steps:
        return  # campaign-svc refuses a campaign without steps; the fan-out has none to send
    evaluation = evaluate(audience, rows, NOW)
    events = PlanEvents(launched, "clinic-a", due_at=launched.launched_at, trace_id=None)
    for chosen in evaluation.selected:
        state = states[chosen.patient_id]
        if chosen.held_out:
            parse(events.held_out(chosen.patient_id, chosen.variant))
        else:
            parse(events.due(chosen.patient_id, chosen.variant, chosen.step, chosen.minor, state))
