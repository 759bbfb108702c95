"""The store: typed tables, queries, migrations, the outbox and job tables."""
