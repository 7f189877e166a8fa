"""A campaign's snapshot, pure: every patient's unique facts in shards, and the campaign's summed
figures, so a stats query reads a few kB instead of folding every fact.

- A **shard** holds the patients whose `shard_of` is its number: one entry per patient,
  `"<status>\\t<fact>\\t<fact>..."` (the patient's unique fact strings, sorted; a fact string
  never holds a raw tab, JSON escapes it). The status is what the listing filters on
  (empty when the facts make no recipient, e.g. only a cancellation).
- The **tally** is `stats.add_recipient` summed over every recipient (`stats.figures` makes the
  answer from it); **campaign facts** are the audience evaluations (facts about no patient).

`fold_new` adds facts to a snapshot: each patient they touch is folded again from its stored
facts plus the new ones with the very same pure rules as the full fold (`facts.unique`,
`recipients.fold`), its old share of the tally taken out and its new share put in. A fact
already in the snapshot (a redelivery, or a page folded twice by two compactors) changes
nothing, so folding any facts any number of times, in any order, gives what one full fold of
their union gives. The one difference from `fold(all facts)`: a cancellation applies to the
bookings of its own patient (in the full fold it applies campaign-wide); the service only ever
records a cancellation for the patient whose booking it cancels, so both give the same answer.
"""

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from reengage_common import codec
from tracking_svc.domain import facts as f
from tracking_svc.domain.facts import BUCKETS, unique
from tracking_svc.domain.recipients import Recipient, fold
from tracking_svc.domain.stats import Tally, add_recipient

# Patients of a campaign are spread over this many shards (~1,600 each at 100,000): a new fact
# rewrites and re-reads one shard, not the campaign. A multiple of BUCKETS, so a shard's
# patients all lie in one page bucket (shard % BUCKETS == bucket).
SHARDS = 64
assert SHARDS % BUCKETS == 0


def shard_of(patient_id: str) -> int:
    return hashlib.blake2b(patient_id.encode(), digest_size=2).digest()[0] % SHARDS


def status_of(entry: str) -> str:
    tab = entry.find("\t")
    return entry if tab < 0 else entry[:tab]


def facts_of(entry: str | None) -> list[str]:
    return entry.split("\t")[1:] if entry else []


def recipient_of(raw: list[str]) -> Recipient | None:
    """One patient's recipient from its facts (None when they make no recipient)."""
    return _single(fold([fact for _, fact in unique(raw).values()]).recipients)


def _single(recipients: dict[str, Recipient]) -> Recipient | None:
    return next(iter(recipients.values()), None)


@dataclass
class Shard:
    """One shard's patients: {patient id: entry}, and their ids in order (made on demand)."""

    entries: dict[str, str]
    _order: list[str] | None = None

    def order(self) -> list[str]:
        if self._order is None:
            self._order = sorted(self.entries)
        return self._order

    def status_counts(self) -> dict[str, int]:
        return dict(Counter(status_of(entry) for entry in self.entries.values()))

    def encode(self) -> bytes:
        return "\n".join(
            codec.encode_text(pid) + "\t" + self.entries[pid] for pid in self.order()
        ).encode()

    @staticmethod
    def decode(text: bytes) -> "Shard":
        entries: dict[str, str] = {}
        order: list[str] = []
        for line in text.decode().split("\n") if text else ():
            quoted, entry = line.split("\t", 1)
            pid = codec.decode(quoted)
            entries[pid] = entry
            order.append(pid)
        return Shard(entries, order)


@dataclass
class State:
    """What a snapshot generation says about a campaign (its shards are kept apart)."""

    tally: Tally = field(default_factory=Counter)
    campaign_facts: list[str] = field(default_factory=list)

    def encode(self) -> dict[str, Any]:
        return {
            "tally": [[list(key), n] for key, n in self.tally.items() if n],
            "facts": self.campaign_facts,
        }

    @staticmethod
    def decode(document: dict[str, Any]) -> "State":
        tally: Tally = Counter({tuple(key): n for key, n in document.get("tally") or []})
        return State(tally, list(document.get("facts") or []))

    def evaluations(self) -> list[dict[str, Any]]:
        return [fact.data for _, fact in unique(self.campaign_facts).values()]


@dataclass
class Folded:
    state: State
    changed: dict[int, Shard]  # the shards whose entries changed, as they are now
    patients: int  # patients whose entry changed


@dataclass(frozen=True)
class NewFacts:
    """Fact strings not folded yet, split into campaign facts and each patient's."""

    campaign: list[str]
    by_patient: dict[str, list[str]]

    @property
    def shards(self) -> set[int]:
        return {shard_of(patient_id) for patient_id in self.by_patient}


def split_new(raw: Iterable[str]) -> NewFacts:
    campaign: list[str] = []
    by_patient: dict[str, list[str]] = {}
    for item in set(raw):
        document = codec.decode(item)
        if document["k"] == f.EVALUATED or not document["p"]:
            campaign.append(item)
        else:
            by_patient.setdefault(document["p"], []).append(item)
    return NewFacts(campaign, by_patient)


def fold_new(state: State, shards: dict[int, Shard], new: NewFacts) -> Folded:
    """`state` and its `shards` (every shard of `new.shards`; missing = empty) with the new
    facts folded in. Neither argument is changed: the result is a new state and new shard
    objects for the shards that changed."""
    tally: Tally = Counter(state.tally)
    campaign_facts = state.campaign_facts
    if new.campaign:
        merged = unique([*state.campaign_facts, *new.campaign])
        campaign_facts = sorted(item for item, _ in merged.values())
    changed: dict[int, Shard] = {}
    patients = 0
    for patient_id, facts in new.by_patient.items():
        number = shard_of(patient_id)
        shard = changed.get(number) or shards.get(number) or Shard({})
        before = facts_of(shard.entries.get(patient_id))
        known = set(before)
        if known.issuperset(facts):
            continue  # every fact was folded already (a redelivery, a page folded twice)
        merged = unique([*before, *facts])
        stored = sorted(item for item, _ in merged.values())
        if stored == before:
            continue  # the new facts repeat stored keys
        old = recipient_of(before) if before else None
        now = _single(fold([fact for _, fact in merged.values()]).recipients)
        if old is not None:
            add_recipient(tally, old, -1)
        if now is not None:
            add_recipient(tally, now, 1)
        if number not in changed:
            shard = changed[number] = Shard(dict(shard.entries))
        shard.entries[patient_id] = "\t".join([now.status if now else "", *stored])
        patients += 1
    return Folded(State(tally, campaign_facts), changed, patients)
