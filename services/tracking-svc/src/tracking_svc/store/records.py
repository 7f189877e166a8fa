"""How tracking's values become stored records and back: pure functions shared by the MongoDB
store and the unit tests' in-memory one, so both hold byte-identical records."""

import hashlib
import json
import zlib
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bson import Binary

from reengage_common import codec
from reengage_common.events import CampaignLaunched, ClinicProfile
from tracking_svc.domain.facts import CAMPAIGN_LEVEL, Fact, bucket_of, iso
from tracking_svc.domain.stats import CampaignTerms

# A stored fact page, snapshot head or shard record: `_id` and its fields, as stored.
Record = dict[str, Any]
# Contact fields a query selects on, kept at the top level; the rest travels as one JSON text.
SELECTED = ("clinic_id", "patient_id", "phone", "pmid")


def pages_of(clinic_id: str, campaign_facts: Iterable[tuple[str, Fact]]) -> list[Record]:
    """One page per campaign and bucket; its id names exactly the facts it holds."""
    grouped: dict[tuple[str, int], dict[str, str]] = defaultdict(dict)
    for campaign_id, fact in campaign_facts:
        bucket = bucket_of(fact.patient_id) if fact.patient_id else CAMPAIGN_LEVEL
        grouped[(campaign_id, bucket)][fact.key] = fact.encode()
    pages = []
    for (campaign_id, bucket), by_key in grouped.items():
        digest = hashlib.sha1("\n".join(sorted(by_key)).encode()).hexdigest()[:24]
        pages.append(
            {
                "_id": f"{campaign_id}:{bucket}:{digest}",
                "campaign_id": campaign_id,
                "clinic_id": clinic_id,
                "bucket": bucket,
                "facts": Binary(zlib.compress(codec.encode(sorted(by_key.values())), 1)),
            }
        )
    return pages


def page_facts(page: Record) -> list[str]:
    """The fact strings a stored page holds."""
    return codec.decode(zlib.decompress(page["facts"]))


def contact_document(key: str, **fields: Any) -> Record:
    indexed = {name: fields.pop(name) for name in SELECTED if name in fields}
    return {"_id": key, **indexed, "r": codec.encode_text_lenient(fields)}


def contact_of(document: Record) -> dict[str, Any]:
    rest = codec.decode(document["r"])
    return {"_id": document["_id"], **{k: document.get(k) for k in SELECTED}, **rest}


def launch_document(clinic_id: str, event: CampaignLaunched) -> Record:
    incentive = event.incentive
    return {
        "_id": f"{event.campaign_id}:{event.run_number}",
        "campaign_id": event.campaign_id,
        "clinic_id": clinic_id,
        "run_number": event.run_number,
        "r": codec.encode_text(
            {
                "incentiveCode": incentive.incentive_code if incentive.has_incentive else None,
                "incentiveCostCents": incentive.incentive_cost_cents
                if incentive.has_incentive
                else 0,
                "variants": [variant.name for variant in event.variants],
                "clinic": event.clinic.model_dump(mode="json") if event.clinic else None,
            }
        ),
    }


def latest_launches(documents: Iterable[Record]) -> dict[str, dict[str, Any]]:
    """Each campaign's latest run's terms, from its launch records."""
    latest: dict[str, Record] = {}
    for document in documents:
        known = latest.get(document["campaign_id"])
        if known is None or document["run_number"] > known["run_number"]:
            latest[document["campaign_id"]] = document
    return {campaign_id: codec.decode(d["r"]) for campaign_id, d in latest.items()}


def unmatched_callback(pmid: str, key: str, callback: dict[str, Any]) -> Record:
    return {"_id": f"{pmid}:{key}", "pmid": pmid, "r": codec.encode_text(callback)}


def callback_of(document: Record) -> dict[str, Any]:
    return {"pmid": document["pmid"], **codec.decode(document["r"])}


def unmatched_inbound(sid: str, form: dict[str, str], at: datetime) -> Record:
    record = {"from": form.get("From"), "body": (form.get("Body") or "")[:1600], "at": iso(at)}
    return {"_id": sid, "to": form.get("To") or "", "r": json.dumps(record)}


def terms_of(launch: dict[str, Any] | None) -> CampaignTerms:
    if launch is None:
        return CampaignTerms()
    return CampaignTerms(
        incentive_code=launch.get("incentiveCode"),
        incentive_cost_cents=int(launch.get("incentiveCostCents") or 0),
        variants=tuple(launch.get("variants") or ()),
    )


def clinic_of(launch: dict[str, Any] | None) -> ClinicProfile | None:
    profile = (launch or {}).get("clinic")
    return ClinicProfile.model_validate(profile) if profile else None


def head_shard_ids(head: Record) -> set[str]:
    """The shard records a stored snapshot head names."""
    return {record for record, _ in codec.decode(head["r"])["shards"].values()}
