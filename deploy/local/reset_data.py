"""Drop the services' local databases (`./dev up`, when deploy/local/data-format changed).

No real deployment holds data yet, so the code reads only the record formats it writes
(docs/storage.md); a local database kept from an earlier format is started afresh instead of
being read by branches for old records.
"""

import asyncio

from pymongo import AsyncMongoClient

from reengage_common.settings import load_settings


async def main() -> None:
    settings = load_settings("dev")
    client: AsyncMongoClient = AsyncMongoClient(settings.mongo_url)
    try:
        names = await client.list_database_names()
        ours = sorted(n for n in names if n.startswith(settings.mongo_db_prefix))
        for name in ours:
            await client.drop_database(name)
        print(f"dropped {', '.join(ours) or 'nothing'}")
    finally:
        await client.close()


if __name__ == "__main__":
    asyncio.run(main())
