"""MongoDB (or FerretDB) connection and beanie initialisation, one database per service."""

from collections.abc import Sequence

from beanie import Document, init_beanie
from beanie.odm.utils.typing import get_index_attributes
from pymongo import AsyncMongoClient, IndexModel

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
    """Bind the service's documents to its own database and create their missing indexes."""
    await init_beanie(
        database=client[settings.database_name], document_models=list(models), skip_indexes=True
    )
    for model in models:
        await create_missing_indexes(model)


async def create_missing_indexes(model: type[Document]) -> None:
    """One index per call, and only those not there yet.

    beanie sends every declared index in one createIndexes command at each start-up; FerretDB
    1.24 drops the connection when two or more of them already exist.
    """
    collection = model.get_pymongo_collection()
    existing = {tuple(info["key"]) for info in (await collection.index_information()).values()}
    for index in declared_indexes(model):
        if tuple(index.document["key"].items()) not in existing:
            await collection.create_indexes([index])


def declared_indexes(model: type[Document]) -> list[IndexModel]:
    """`Settings.indexes` plus fields declared `Indexed(...)`."""
    indexes: list[IndexModel] = []
    for name, field in model.model_fields.items():
        attributes = get_index_attributes(field)
        if attributes is not None:
            direction, options = attributes
            indexes.append(IndexModel([(field.alias or name, direction)], **options))
    for declared in model.get_settings().indexes or []:
        indexes.append(declared if isinstance(declared, IndexModel) else declared.index)
    return indexes


async def ping(client: AsyncMongoClient) -> None:
    await client.admin.command("ping")
