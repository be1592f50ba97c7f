"""The identity rule: which stored item a parsed item is (remediate.identity)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from remediate.identity import DEFAULT_THRESHOLD, Candidate, Known, match_items, similarity
from remediate.parsing import normalize_text
from tests import known as known_db
from tests import scale

#: Item texts the recurrence record is checked on: the known database's and generated ones.
_CORPUS_TEXTS = [
    known_db.A1,
    known_db.A2,
    known_db.A3,
    known_db.A4,
    known_db.B1,
    known_db.B2,
    known_db.B3,
    known_db.B4,
] + [text for pm in scale.texts(300, seed=5) for text in pm]


def known(i: int, text: str, section: str = "Action Items", ticket: str | None = None) -> Known:
    return Known(f"k{i}", f"c{i}", text, section, ticket)


def cand(text: str, id: str = "new", section: str = "Action Items", ticket: str | None = None) -> Candidate:
    return Candidate(id, text, section, ticket)


STORED = [
    known(0, "Add alerting on queue depth for worker pool"),
    known(1, "Make the pool size a single setting validated at deploy time"),
    known(2, "Add the rollback command to the checkout runbook"),
]


def test_exact_ids_match_in_any_order() -> None:
    candidates = [cand("x", id="c2"), cand("y", id="c0"), cand("z", id="k1")]
    assert [(m.known_id, m.how) for m in match_items(candidates, STORED)] == [
        ("k2", "id"),
        ("k0", "id"),
        ("k1", "id"),
    ]


def test_typo_fix_keeps_identity() -> None:
    (match,) = match_items([cand("Add alerting on queue depht for worker pool")], STORED[:1])
    assert (match.known_id, match.how) == ("k0", "fuzzy")


def test_partial_rewording_keeps_identity() -> None:
    (match,) = match_items([cand("Make the pool size one setting, validated during deploys")], STORED[1:2])
    assert match.known_id == "k1"
    assert match.score >= DEFAULT_THRESHOLD


def test_wholly_new_sentence_is_new_even_when_an_item_vanished() -> None:
    (match,) = match_items([cand("Page the database team when replication lag passes 30 seconds")], STORED)
    assert (match.known_id, match.how) == (None, "new")


def test_same_shape_different_item_is_new() -> None:
    stored = [known(0, "Develop and implement a network configuration testing script to run regularly.")]
    (match,) = match_items([cand("Write a failover drill for the payments database every quarter.")], stored)
    assert match.known_id is None


def test_best_pair_wins_over_document_order() -> None:
    stored = [known(0, "Alert on connection-pool saturation before latency suffers")]
    candidates = [
        cand("Alert on disk saturation before latency suffers on the database hosts"),
        cand("Alert on connection pool saturation before latency suffers"),
    ]
    matches = match_items(candidates, stored)
    assert [m.known_id for m in matches] == [None, "k0"]


def test_ticket_reference_pins_identity_through_heavy_rewording() -> None:
    stored = [known(0, "Add alerting on queue depth", ticket="LOCAL-7"), known(1, "Unrelated item")]
    (match,) = match_items([cand("Page on-call when backlog exceeds ten thousand jobs", ticket="LOCAL-7")], stored)
    assert (match.known_id, match.how) == ("k0", "ref")


def test_each_stored_item_is_matched_at_most_once() -> None:
    candidates = [
        cand("Add alerting on queue depth for worker pool"),
        cand("Add alerting on queue depth for worker pools"),
    ]
    matches = match_items(candidates, STORED[:1])
    assert sorted(m.known_id or "" for m in matches) == ["", "k0"]


def test_similarity_ignores_case_markup_and_punctuation() -> None:
    assert similarity("**Add** `alerting`, on queue depth!", "add alerting on queue depth") == 1.0


# --- what the audit's recurring search keeps of each item ---------------------------------------


def test_recurrence_keys_are_pinned() -> None:
    """The stored form, literally: a change to it (or to the normalization under it) must come with
    a new RECURRENCE_KEYS_VERSION, or databases would mix records of two kinds."""
    from remediate.identity import RECURRENCE_KEYS_VERSION, recurrence_keys

    assert RECURRENCE_KEYS_VERSION == "recurrence-1"
    assert recurrence_keys("Add **alerting** on the queue-depth!") == (
        "recurrence-1\nadd alerting on the queue depth\nadd alerting\nalerting queue\nqueue depth"
    )
    assert recurrence_keys("Rotate `secrets`") == "recurrence-1\nrotate secrets\nrotate\nrotate secrets\nsecrets"
    assert recurrence_keys("The") == "recurrence-1\nthe"  # only stop words: no keys
    assert recurrence_keys("") == "recurrence-1\n"


@settings(derandomize=True, database=None, max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet=" ab_*`[]()-.,\n\t\u00e9\u2028"), st.sampled_from(_CORPUS_TEXTS)))
def test_stored_recurrence_is_the_computed_record(text: str) -> None:
    """What the audit reads back from item.recurrence_keys is what it would compute from the text."""
    from remediate.identity import recurrence_keys, recurrence_record, stored_recurrence

    stored = stored_recurrence(recurrence_keys(text))
    norm, keys = recurrence_record(text)
    assert stored is not None
    assert stored[0] == norm == normalize_text(text)
    assert sorted(stored[1]) == sorted(keys)


def test_records_of_another_version_or_none_are_not_used() -> None:
    from remediate.identity import recurrence_keys, stored_recurrence, updated_recurrence_keys

    current = recurrence_keys("Automate the failover runbook")
    assert stored_recurrence(None) is None
    assert stored_recurrence(current.replace("recurrence-1", "recurrence-0")) is None
    assert stored_recurrence("garbage") is None
    # The sync keeps a current record of an unchanged text, and rewrites anything else.
    assert updated_recurrence_keys(current, "Automate the failover runbook", "Automate the failover runbook") is current
    edited = updated_recurrence_keys(current, "Automate the failover runbook", "Automate the failover runbook steps")
    assert edited == recurrence_keys("Automate the failover runbook steps")
    stale = current.replace("recurrence-1", "recurrence-0")
    assert updated_recurrence_keys(stale, "x", "x") == recurrence_keys("x")
    assert updated_recurrence_keys(None, "x", "x") == recurrence_keys("x")
