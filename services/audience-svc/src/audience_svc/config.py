"""Settings of audience-svc only."""

from pydantic import Field

from reengage_common.settings import Settings


class AudienceSettings(Settings):
    service: str = "audience-svc"
    # Recipients per stored chunk of a fan-out plan: one Kafka batch and one progress record.
    fanout_chunk_size: int = Field(default=2000, ge=1)
    # A clinic's patients are kept in this many shards (compressed blobs); fixed once used.
    projection_shards: int = Field(default=64, ge=1)
    # Decoded shards a replica keeps, least recently used out, counted in their stored
    # (compressed) bytes; decoded they take up to ~35x that in memory (measured on synthetic
    # patients, tests/integration/test_projection_cache.py): 32 MB stored, ~1 GB at most.
    projection_cache_bytes: int = Field(default=32 * 1024 * 1024, ge=0)
    # How often the compactor looks for pending facts when it found none.
    compact_interval_seconds: float = Field(default=0.5, gt=0)
    # How long pending facts that only say who was contacted or targeted (a send's
    # message.sent) may wait to be folded: readers apply them to stored rows meanwhile, and a
    # round rewrites every shard they touch, in a send all of them (projection.Projection).
    projection_contacts_wait_seconds: float = Field(default=60.0, ge=0)
    # How often the daily-enrolment loop looks for ACTIVE refreshDaily campaigns due today.
    enrolment_interval_seconds: float = Field(default=60.0, gt=0)
    # An estimate asked again within the first is answered as computed; within the second, as
    # computed while a fresher one is (reengage_common.recent); 0 computes every one.
    estimate_fresh_seconds: float = Field(default=15.0, ge=0)
    estimate_stale_seconds: float = Field(default=120.0, ge=0)
    # Rows of an import stored per pending record (and parsed per slice, off the loop).
    import_chunk_rows: int = Field(default=2000, ge=1)
    # Rows one import takes (a 50 MB body, MAX_IMPORT_BODY_BYTES, holds ~300,000 real ones).
    max_import_rows: int = Field(default=500_000, ge=1)
