"""MongoDB (or FerretDB) connection and beanie initialisation, one database per service."""

from collections.abc import Sequence

from beanie import Document, init_beanie
from pymongo import AsyncMongoClient

from reengage_common.settings import Settings


def make_mongo_client(settings: Settings) -> AsyncMongoClient:
    return AsyncMongoClient(
        settings.mongo_url,
        tz_aware=True,
        uuidRepresentation="standard",
        serverSelectionTimeoutMS=5000,
        appname=settings.service,
    )


async def init_documents(
    client: AsyncMongoClient, settings: Settings, models: Sequence[type[Document]]
) -> None:
    """Bind the service's documents to its own database and create their indexes."""
    await init_beanie(database=client[settings.database_name], document_models=list(models))


async def ping(client: AsyncMongoClient) -> None:
    await client.admin.command("ping")
