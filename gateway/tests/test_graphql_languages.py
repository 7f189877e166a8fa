"""Languages over GraphQL: a step's templates in other languages and the campaign's default
language go to campaign-svc as given and come back; the editor's language choices; a preview
in a language."""

import json

SPANISH = {"language": "es", "subject": "Le extrañamos", "body": "Hola {{ patient.firstName }}"}
CAMPAIGN_INPUT = {
    "name": "Two languages",
    "targeting": {"inactiveDays": 180},
    "channels": ["EMAIL"],
    "defaultLanguage": "en",
    "messageTemplates": [
        {
            "channel": "EMAIL",
            "subject": "We miss you",
            "body": "Hi {{ patient.firstName }}",
            "sequence": 1,
            "translations": [SPANISH],
        }
    ],
    "schedule": {"sendTimes": ["10:00"]},
}
CREATE = """
mutation($input: CampaignInput!) {
  createCampaign(input: $input) {
    __typename
    ... on Campaign {
      id defaultLanguage
      messageTemplates { subject translations { language subject body } }
    }
  }
}
"""
LANGUAGES = "{ messageLanguages { code name nativeName isDefault } }"
PREVIEW = """
mutation($id: ID!, $language: String) {
  previewCampaign(id: $id, language: $language) { __typename }
}
"""


async def test_translations_and_the_default_language_go_and_come_back(graphql, services) -> None:
    answer = await graphql(CREATE, {"input": CAMPAIGN_INPUT})

    (call,) = services.campaign.calls("POST", "/campaigns")
    sent = json.loads(call.content)
    assert sent["defaultLanguage"] == "en"
    assert sent["messageTemplates"][0]["translations"] == [SPANISH]
    created = answer["data"]["createCampaign"]
    assert created["defaultLanguage"] == "en"
    assert created["messageTemplates"][0]["translations"] == [SPANISH]


async def test_a_campaign_without_languages_reads_english_and_no_translations(
    graphql, services
) -> None:
    # a definition stored before languages: campaign-svc's defaults apply
    services.campaign.add("c-1")

    answer = await graphql(
        '{ campaign(id: "c-1") { defaultLanguage messageTemplates { translations { body } } } }'
    )

    assert answer["data"]["campaign"] == {
        "defaultLanguage": "en",
        "messageTemplates": [{"translations": []}],
    }


async def test_a_left_out_language_stays_out_of_the_call(graphql, services) -> None:
    plain = {k: v for k, v in CAMPAIGN_INPUT.items() if k != "defaultLanguage"}
    plain["messageTemplates"] = [
        {k: v for k, v in plain["messageTemplates"][0].items() if k != "translations"}
    ]

    await graphql(CREATE, {"input": plain})

    (call,) = services.campaign.calls("POST", "/campaigns")
    sent = json.loads(call.content)
    assert "defaultLanguage" not in sent and "translations" not in sent["messageTemplates"][0]


async def test_the_editor_can_choose_among_the_supported_languages(graphql) -> None:
    answer = await graphql(LANGUAGES)

    assert answer["data"]["messageLanguages"] == [
        {"code": "en", "name": "English", "nativeName": "English", "isDefault": True},
        {"code": "es", "name": "Spanish", "nativeName": "español", "isDefault": False},
    ]


async def test_the_preview_asks_campaign_svc_for_its_language(graphql, services) -> None:
    services.campaign.add("c-1")

    await graphql(PREVIEW, {"id": "c-1", "language": "es"})

    (call,) = services.campaign.calls("POST", "/campaigns/c-1/preview")
    assert json.loads(call.content)["language"] == "es"
