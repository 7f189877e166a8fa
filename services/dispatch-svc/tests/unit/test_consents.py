"""Consent from `patient.upserted`: what an upsert restricts, which upserts are worth storing,
and the fold by the event's own time, latest wins, in any arrival order."""

from datetime import UTC, datetime, timedelta
from itertools import permutations

from dispatch_svc.domain.consents import (
    ConsentChange,
    ConsentRestrictions,
    changes_to_keep,
    consent_change,
    patients_lifting,
)
from dispatch_svc.domain.decisions import Response, ResponsesAndConsents
from reengage_common.events import Channel, PatientUpserted, ResponseKind

T0 = datetime(2026, 11, 26, 15, tzinfo=UTC)


def upserted(**fields: object) -> PatientUpserted:
    return PatientUpserted.model_validate({"patientId": "p-1", **fields})


def change(
    at_minutes: int, *withheld: Channel, patient: str = "p-1", **flags: bool
) -> ConsentChange:
    return ConsentChange(
        patient_id=patient,
        at=T0 + timedelta(minutes=at_minutes),
        event_id=f"e-{patient}-{at_minutes}-{len(withheld)}",
        withheld=frozenset(withheld),
        **flags,
    )


def test_only_an_explicit_no_withholds_a_channel() -> None:
    everything = upserted(consents={"email": True, "sms": True, "mail": True})
    silent = upserted()
    refusing = upserted(consents={"email": False, "sms": False, "mail": False})

    assert not consent_change("e1", T0, everything).restricts
    assert not consent_change("e2", T0, silent).restricts  # an import without consent columns
    assert consent_change("e3", T0, refusing).withheld == set(Channel)
    assert consent_change("e4", T0, upserted(consents={"sms": True}, doNotContact=True)).restricts
    assert consent_change("e5", T0, upserted(consents={"sms": True}, deceased=True)).restricts


def test_the_reason_names_what_the_clinic_withdrew() -> None:
    restrictions = ConsentRestrictions.of(
        [
            change(0, Channel.EMAIL, patient="p-email"),
            change(0, patient="p-dnc", do_not_contact=True),
            change(0, patient="p-dead", deceased=True, do_not_contact=True),
        ]
    )

    assert restrictions.skip_reason("p-email", Channel.EMAIL) == "consent withdrawn: email"
    assert restrictions.skip_reason("p-email", Channel.MAIL) is None
    assert restrictions.skip_reason("p-dnc", Channel.MAIL) == "do not contact"
    assert restrictions.skip_reason("p-dead", Channel.SMS) == "deceased"
    assert restrictions.skip_reason("p-never-restricted", Channel.EMAIL) is None


def test_the_latest_upsert_by_its_own_time_wins_in_any_arrival_order() -> None:
    withdrawn, restored, withdrawn_again = (
        change(0, Channel.EMAIL),
        change(5),
        change(9, Channel.EMAIL, Channel.MAIL),
    )
    for arrival in permutations([withdrawn, restored, withdrawn_again]):
        restrictions = ConsentRestrictions.of([*arrival, *arrival])  # and redelivered
        assert restrictions.skip_reason("p-1", Channel.MAIL) == "consent withdrawn: mail"
    for arrival in permutations([withdrawn, restored]):
        assert ConsentRestrictions.of(arrival).skip_reason("p-1", Channel.EMAIL) is None


def test_at_one_instant_a_restriction_wins_over_a_lift() -> None:
    for arrival in permutations([change(3), change(3, Channel.EMAIL)]):
        restrictions = ConsentRestrictions.of(arrival)
        assert restrictions.skip_reason("p-1", Channel.EMAIL) == "consent withdrawn: email"


def test_only_restrictions_and_the_lifts_of_restricted_patients_are_kept() -> None:
    import_batch = [change(0, patient=f"p-{n}") for n in range(100)]  # all with consent
    withdrawn_then_restored = [change(1, Channel.EMAIL, patient="p-b"), change(2, patient="p-b")]
    lift_of_an_earlier_restriction = change(3, patient="p-a")
    changes = [*import_batch, *withdrawn_then_restored, lift_of_an_earlier_restriction]

    kept = changes_to_keep(changes, restricted_before={"p-a"})

    assert kept == [*withdrawn_then_restored, lift_of_an_earlier_restriction]
    assert patients_lifting(changes) == {f"p-{n}" for n in range(100)} | {"p-a", "p-b"}


def test_a_withdrawn_consent_skips_before_responses_are_looked_at() -> None:
    responses = ResponsesAndConsents.of(
        [Response("clinic", "c-1", "p-1", ResponseKind.UNSUBSCRIBED, Channel.EMAIL)]
    )
    assert responses.skip_reason("c-1", "p-1", Channel.EMAIL) == "unsubscribed from EMAIL"

    responses.consents = ConsentRestrictions.of([change(0, patient="p-1", deceased=True)])

    assert responses.skip_reason("c-1", "p-1", Channel.EMAIL) == "deceased"
    assert responses.skip_reason("c-1", "p-1", Channel.SMS) == "deceased"
