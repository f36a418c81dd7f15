"""Create Letta's tables in an empty database. Runs inside the Letta server's own virtualenv.

The 0.16.x wheel ships no migrations and the server creates no tables, so the schema comes from
Letta's ORM, plus the defaults the ORM cannot express (without them every agent create fails on
``messages.sequence_id``).

Usage: ``SERVER_VENV/bin/python letta_schema.py postgresql://postgres@127.0.0.1:PORT/letta``
"""

import asyncio
import sys

EXTRA_SQL = [
    "CREATE SEQUENCE IF NOT EXISTS message_seq_id START 1",
    "ALTER TABLE messages ALTER COLUMN sequence_id SET DEFAULT nextval('message_seq_id')",
    "ALTER SEQUENCE message_seq_id OWNED BY messages.sequence_id",
    "ALTER TABLE archives_agents ALTER COLUMN created_at SET DEFAULT now()",
]


async def main(uri: str) -> None:
    import letta.orm  # noqa: F401  (registers every table on Base.metadata)
    from letta.database_utils import get_database_uri_for_context
    from letta.orm.base import Base
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(get_database_uri_for_context(uri, "async"))
    async with engine.begin() as conn:
        await conn.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
        await conn.run_sync(Base.metadata.create_all)
        for statement in EXTRA_SQL:
            await conn.execute(text(statement))
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
