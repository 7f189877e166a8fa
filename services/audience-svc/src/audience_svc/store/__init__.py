"""audience-svc's storage beside the projection, by role: `documents` (collections and
indexes), `records` (campaign events -> stored records, pure), `protocol` (the interfaces
handlers, fan-outs and enrolment are given), `mongo` (the store, on MongoDB/FerretDB)."""

from audience_svc.store.documents import DOCUMENTS
from audience_svc.store.mongo import MongoAudienceStore
from audience_svc.store.protocol import AudienceStore, PatientProjection, TurnLeases

__all__ = ["DOCUMENTS", "AudienceStore", "MongoAudienceStore", "PatientProjection", "TurnLeases"]
