"""The store on MongoDB or FerretDB: the consumer's writes and the sender's reads over the
collections of the database it is given."""

from pymongo.asynchronous.database import AsyncDatabase

from dispatch_svc.store.collections import DispatchCollections
from dispatch_svc.store.reads import MongoReads
from dispatch_svc.store.writes import MongoWrites


class MongoDispatchStore(MongoWrites, MongoReads):
    def __init__(self, database: AsyncDatabase) -> None:
        self.collections = DispatchCollections.of(database)
