"""Autogenerate the next Alembic migration from the table models.

Usage: python scripts/new_migration.py "what changed" 0007
Review the generated file: autogenerate misses renames and some type changes.
"""

import sys
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from tripwire.store.migrate import alembic_config, upgrade

with tempfile.TemporaryDirectory() as tmp:
    engine = create_engine(f"sqlite:///{Path(tmp) / 'autogen.db'}")
    upgrade(engine)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.revision(config, message=sys.argv[1], autogenerate=True, rev_id=sys.argv[2])
