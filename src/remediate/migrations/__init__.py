"""Alembic migrations of the state database (applied by ``remediate.store``)."""
