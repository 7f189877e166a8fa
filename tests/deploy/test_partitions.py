"""Partitions per topic come from settings: many in production, few where one broker runs."""

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from reengage_common.auth import generate_signing_key
from reengage_common.bus import DLQ_SUFFIX, ensure_topics
from reengage_common.settings import Settings


def test_production_creates_24_partitions_per_topic_unless_told_otherwise(monkeypatch) -> None:
    # given production with its keys, and neither partitions setting in the environment
    monkeypatch.delenv("KAFKA_PARTITIONS", raising=False)
    monkeypatch.delenv("KAFKA_TOPIC_PARTITIONS", raising=False)
    production = {
        "env": "production",
        "jwt_public_key": generate_signing_key("RS256").public_pem,
        "jwt_issuer": "https://id.platform.example",
    }
    # then every topic gets 24, development and tests 3
    assert Settings(**production).partitions_of("message.due") == 24
    assert Settings(env="development").partitions_of("message.due") == 3
    assert Settings(env="test").partitions_of("campaign.launched") == 3
    # and an explicit count wins in any environment, a per-topic one over it
    assert Settings(**production, kafka_partitions=6).partitions_of("message.sent") == 6
    monkeypatch.setenv("KAFKA_TOPIC_PARTITIONS", '{"message.due": 48}')
    overridden = Settings(**production)
    assert overridden.partitions_of("message.due") == 48
    assert overridden.partitions_of("message.sent") == 24


def test_a_per_topic_count_below_one_is_refused(monkeypatch) -> None:
    monkeypatch.setenv("KAFKA_TOPIC_PARTITIONS", '{"message.due": 0}')
    with pytest.raises(ValueError, match="kafka_topic_partitions"):
        Settings(env="test")


@pytest.mark.infra
async def test_topics_and_their_dlq_are_created_with_their_own_counts(infra: Settings) -> None:
    # given a run's own prefix and an override for one topic
    settings = Settings(
        service="deploy-test",
        kafka_topic_prefix=f"{infra.kafka_topic_prefix}parts.",
        kafka_partitions=2,
        kafka_topic_partitions={"message.due": 4},
    )
    # when the topics are created
    await ensure_topics(settings, ["message.due", "message.sent"])
    # then each has its count, its .dlq the same
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        due, sent = settings.topic("message.due"), settings.topic("message.sent")
        described = await admin.describe_topics([due, due + DLQ_SUFFIX, sent])
        counts = {topic["topic"]: len(topic["partitions"]) for topic in described}
        assert counts == {due: 4, due + DLQ_SUFFIX: 4, sent: 2}
    finally:
        await admin.delete_topics([due, due + DLQ_SUFFIX, sent, sent + DLQ_SUFFIX])
        await admin.close()
