"""The built-in local tracker passes the connector contract."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import select

from remediate.connectors import ConnectorContext, Status, TicketRef, discover, load
from remediate.local import LocalTracker, _number
from remediate.models import LocalTicket, utcnow
from remediate.store import Store, open_store
from remediate.testing import ConnectorContract


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = open_store(database_url)
    yield store
    store.dispose()


class Backdoor:
    """People closing local tickets, straight in the database."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def set_status(self, ref: TicketRef, status: Status) -> None:
        with self.store.session() as session:
            ticket = session.get(LocalTicket, _number(ref))
            assert ticket is not None
            ticket.status, ticket.updated_at = status.value, utcnow()
            session.add(ticket)
            session.commit()

    def title_of(self, ref: TicketRef) -> str:
        with self.store.session() as session:
            ticket = session.get(LocalTicket, _number(ref))
            assert ticket is not None
            return ticket.title

    def ticket_count(self) -> int:
        with self.store.session() as session:
            return len(session.exec(select(LocalTicket)).all())


class TestLocalTracker(ConnectorContract):
    @pytest.fixture
    def connector(self, store: Store) -> LocalTracker:
        return LocalTracker.from_config(LocalTracker.Config(), ConnectorContext(env={}, store=store))

    @pytest.fixture
    def backdoor(self, store: Store) -> Backdoor:
        return Backdoor(store)


def test_local_is_registered_through_the_entry_point(store: Store) -> None:
    assert "local" in discover()
    connector = load("local", {}, ConnectorContext(env={}, store=store))
    assert isinstance(connector, LocalTracker)


def test_local_config_rejects_unknown_keys(store: Store) -> None:
    from remediate.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\[connectors.local\] repo <- Extra inputs are not permitted"):
        load("local", {"repo": "o/r"}, ConnectorContext(env={}, store=store))
    with pytest.raises(ConfigError, match=r"^--set repo: the local connector has no setting 'repo'$"):
        load("local", {}, ConnectorContext(env={}, store=store, options={"repo": "o/r"}))
