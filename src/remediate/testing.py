"""A contract test every connector must pass, for our connectors and third parties' alike.

Use it from a pytest module::

    from remediate.testing import ConnectorContract

    class TestMyTracker(ConnectorContract):
        @pytest.fixture
        def connector(self): ...        # a connector talking to a fake of the tracker

        @pytest.fixture
        def backdoor(self): ...         # a TrackerBackdoor on that fake's state

The backdoor plays the people who work in the tracker: it closes and reopens
tickets and reads what the connector wrote, without going through the
connector under test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from remediate.connectors import (
    Connector,
    Deduplicates,
    PostmortemInfo,
    Status,
    TicketDraft,
    TicketRef,
)


class TrackerBackdoor(Protocol):
    """Direct access to a fake tracker's state, as a person in its web UI would have."""

    def set_status(self, ref: TicketRef, status: Status) -> None:
        """Move the ticket to ``status`` (close as done, close as not planned, reopen...)."""
        ...

    def title_of(self, ref: TicketRef) -> str:
        """The ticket's current title (summary)."""
        ...

    def ticket_count(self) -> int:
        """How many tickets the tracker holds (to prove nothing was duplicated)."""
        ...


POSTMORTEM = PostmortemInfo(
    id="2024-05-01-api-outage",
    title="API outage of 1 May 2024",
    date=date(2024, 5, 1),
    source="postmortems/2024-05-01-api-outage.md",
    link="https://example.com/postmortems/2024-05-01-api-outage.md",
)


def make_draft(number: int, **changes: object) -> TicketDraft:
    """A plausible draft; ``changes`` override any field."""
    fields: dict[str, object] = {
        "item_id": f"contract{number:04d}",
        "title": f"Add alerting on queue depth #{number}",
        "text": f"Add alerting on queue depth for worker pool {number}.",
        "section": "Action Items",
        "owner": None,
        "due": date(2024, 6, 1),
        "priority": "P1",
        "done": None,
        "postmortem": POSTMORTEM,
    }
    fields.update(changes)
    return TicketDraft(**fields)  # type: ignore[arg-type]


class ConnectorContract:
    """Behaviour the sync engine relies on. Subclasses provide ``connector`` and ``backdoor``."""

    def test_create_yields_one_ref_per_draft(self, connector: Connector, backdoor: TrackerBackdoor) -> None:
        before = backdoor.ticket_count()
        drafts = [make_draft(n) for n in range(3)]
        created = list(connector.create(drafts))
        assert [c.item_id for c in created] == [d.item_id for d in drafts]
        assert len({c.ref.key for c in created}) == 3
        assert all(c.ref.tracker == connector.name for c in created)
        assert backdoor.ticket_count() == before + 3
        assert backdoor.title_of(created[0].ref) == drafts[0].title

    def test_claim_recognises_own_keys_and_urls(self, connector: Connector) -> None:
        (created,) = connector.create([make_draft(1)])
        claimed = connector.claim(created.ref.key)
        assert claimed is not None and claimed.key == created.ref.key
        if created.ref.url:
            by_url = connector.claim(created.ref.url)
            assert by_url is not None and by_url.key == created.ref.key
        assert connector.claim("not a ticket reference") is None

    def test_find_returns_tickets_by_marker(self, connector: Connector) -> None:
        drafts = [make_draft(n) for n in range(2)]
        created = {c.item_id: c.ref for c in connector.create(drafts)}
        unknown = make_draft(99)
        found = connector.find([*drafts, unknown])
        assert {k: v.key for k, v in found.items()} == {k: v.key for k, v in created.items()}

    def test_update_changes_the_same_ticket(self, connector: Connector, backdoor: TrackerBackdoor) -> None:
        draft = make_draft(1)
        (created,) = connector.create([draft])
        count = backdoor.ticket_count()
        edited = make_draft(1, title="Add paging alert on queue depth", owner=None)
        ref = connector.update(created.ref, edited, draft.changed_fields(edited))
        assert ref.key == created.ref.key
        assert backdoor.title_of(ref) == "Add paging alert on queue depth"
        assert backdoor.ticket_count() == count

    def test_states_of_new_and_changed_tickets(self, connector: Connector, backdoor: TrackerBackdoor) -> None:
        created = [c.ref for c in connector.create([make_draft(n) for n in range(3)])]
        states = {s.ref.key: s for s in connector.states(created, None)}
        assert {k: s.status for k, s in states.items()} == {r.key: Status.OPEN for r in created}
        backdoor.set_status(created[0], Status.DONE)
        backdoor.set_status(created[1], Status.NOT_DOING)
        after = {s.ref.key: s.status for s in connector.states(created, None)}
        assert after[created[0].key] == Status.DONE
        assert after[created[1].key] == Status.NOT_DOING
        assert after[created[2].key] == Status.OPEN

    def test_states_since_the_future_is_empty(self, connector: Connector) -> None:
        created = [c.ref for c in connector.create([make_draft(1)])]
        later = datetime.now(UTC) + timedelta(hours=1)
        assert list(connector.states(created, later)) == []

    def test_done_draft_is_created_closed(self, connector: Connector) -> None:
        (created,) = connector.create([make_draft(7, done=True)])
        (state,) = [s for s in connector.states([created.ref], None)]
        assert state.status == Status.DONE

    def test_sync_group_is_stable(self, connector: Connector) -> None:
        refs = [c.ref for c in connector.create([make_draft(n) for n in range(2)])]
        group = connector.sync_group(POSTMORTEM, None, refs)
        again = connector.sync_group(POSTMORTEM, group, refs)
        assert (group is None) == (again is None)
        if group is not None and again is not None:
            assert again.key == group.key

    def test_duplicates_are_listed_oldest_first_and_closed(
        self, connector: Connector, backdoor: TrackerBackdoor
    ) -> None:
        """Optional (:class:`Deduplicates`): two tickets of one item, as two racing databases file them."""
        if not isinstance(connector, Deduplicates):
            return
        draft = make_draft(42)
        (first,) = connector.create([draft])
        (second,) = connector.create([draft])
        listed = connector.find_all([draft, make_draft(43)])
        assert [ref.key for ref in listed[draft.item_id]] == [first.ref.key, second.ref.key]
        assert make_draft(43).item_id not in listed
        assert connector.find([draft])[draft.item_id].key == first.ref.key  # the oldest is adopted
        count = backdoor.ticket_count()
        connector.close_duplicate(second.ref, first.ref)
        assert [ref.key for ref in connector.find_all([draft])[draft.item_id]] == [first.ref.key]
        assert backdoor.ticket_count() == count, "closed, not deleted"
        states = {s.ref.key: s.status for s in connector.states([first.ref, second.ref], None)}
        assert states[second.ref.key].closed and states[first.ref.key] == Status.OPEN
