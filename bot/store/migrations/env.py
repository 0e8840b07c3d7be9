"""Alembic's environment for the ledger: runs the migrations on the connection `bot.store.migrate` hands over.

There is no alembic.ini and no URL here: `bot.store.migrate.upgrade` opens the transaction on
the ledger's own engine (with its SQLite pragmas) and passes the connection in
``config.attributes["connection"]``, so every revision runs inside that one transaction.
"""

from alembic import context

context.configure(connection=context.config.attributes["connection"], target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
