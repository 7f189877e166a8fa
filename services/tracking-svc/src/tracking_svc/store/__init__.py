"""tracking-svc's storage, by role: `documents` (collections and indexes), `records` (values <->
stored records, pure), `protocol` (the interface handlers, snapshots and reads are given),
`mongo` (it, on MongoDB/FerretDB)."""

from tracking_svc.store.documents import DOCUMENTS
from tracking_svc.store.mongo import MongoTrackingStore
from tracking_svc.store.protocol import TrackingStore

__all__ = ["DOCUMENTS", "MongoTrackingStore", "TrackingStore"]
