"""Every field of a recipient reads over GraphQL as tracking-svc answers it: the types are
derived from the recipient resource (reengage_common.resources.recipients), and the answer here
is made by tracking-svc's own fold (`Recipient.to_json`), so the two cannot drift apart. Over REST the same answer is as the OpenAPI document says."""

from tracking_svc.domain.recipients import Rebooking, Recipient, Step

from .conftest import undocumented

RECIPIENTS = """
query Recipients($id: ID!) {
  campaignRecipients(campaignId: $id) {
    ... on RecipientConnection {
      edges {
        node {
          patientId firstName lastName name status response variant holdout channel channels
          lastContactedAt contactAttempts respondedAt rebookedAppointmentId lastEventAt
          history { sequence channel outcome reason costCents delivered at }
          replies { text at }
        }
      }
    }
  }
}
"""


def folded_recipient() -> Recipient:
    """Ada: an email delivered, an SMS that failed, a reply, and a rebooking."""
    return Recipient(
        patient_id="p-ada",
        first_name="Ada",
        last_name="Lovelace",
        variant="B",
        steps={
            "m-1": Step(
                message_id="m-1",
                sequence=1,
                channel="EMAIL",
                variant="B",
                outcome="SENT",
                cost_cents=1,
                at="2026-01-05T10:00:00.000000+00:00",
                delivered=True,
            ),
            "m-2": Step(
                message_id="m-2",
                sequence=2,
                channel="SMS",
                variant="B",
                outcome="FAILED",
                reason="INVALID_NUMBER",
                at="2026-01-08T10:00:00.000000+00:00",
            ),
        },
        rebookings={
            "a-7": Rebooking(
                appointment_id="a-7",
                at="2026-01-09T09:00:00.000000+00:00",
                revenue_cents=25_000,
                incentive_code=None,
            )
        },
        replies=[
            {"at": "2026-01-06T08:30:00.000000+00:00", "text": "Yes please", "channel": "SMS"}
        ],
    )


async def test_every_field_of_a_recipient_reads_as_tracking_answers_it(graphql, services) -> None:
    # given
    services.campaign.add("c-1", status="ACTIVE")
    services.tracking.deployed = True
    services.tracking.recipients = [folded_recipient().to_json()]

    # when
    answer = await graphql(RECIPIENTS, {"id": "c-1"}, persona="viewer")

    # then
    assert "errors" not in answer, answer
    (edge,) = answer["data"]["campaignRecipients"]["edges"]
    assert edge["node"] == {
        "patientId": "p-ada",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "name": "Ada Lovelace",
        "status": "REBOOKED",
        "response": "REBOOKED",
        "variant": "B",
        "holdout": False,
        "channel": "SMS",
        "channels": ["EMAIL"],
        "lastContactedAt": "2026-01-05T10:00:00+00:00",
        "contactAttempts": 2,
        "respondedAt": "2026-01-06T08:30:00+00:00",
        "rebookedAppointmentId": "a-7",
        "lastEventAt": "2026-01-09T09:00:00+00:00",
        "history": [
            {
                "sequence": 1,
                "channel": "EMAIL",
                "outcome": "SENT",
                "reason": None,
                "costCents": 1,
                "delivered": True,
                "at": "2026-01-05T10:00:00+00:00",
            },
            {
                "sequence": 2,
                "channel": "SMS",
                "outcome": "FAILED",
                "reason": "INVALID_NUMBER",
                "costCents": 0,
                "delivered": False,
                "at": "2026-01-08T10:00:00+00:00",
            },
        ],
        "replies": [{"text": "Yes please", "at": "2026-01-06T08:30:00+00:00"}],
    }


async def test_a_recipients_page_over_rest_is_as_the_openapi_document_says(
    gateway, services, headers_of
) -> None:
    # given
    services.campaign.add("c-1", status="ACTIVE")
    services.tracking.deployed = True
    services.tracking.recipients = [folded_recipient().to_json()]
    document = (await gateway.get("/api/openapi.json")).json()

    # when
    answer = await gateway.get(
        "/api/booking/campaigns/c-1/recipients", headers=headers_of("viewer")
    )

    # then
    assert answer.status_code == 200, answer.text
    path = "/api/booking/campaigns/{id}/recipients"
    assert undocumented(document, "GET", path, answer.json()) == []
    assert answer.json()["items"][0]["history"][1]["reason"] == "INVALID_NUMBER"
