"""remediate.answers: the one-line error for a malformed tracker answer."""

from __future__ import annotations


def test_a_malformed_answer_never_quotes_the_tracker_s_values_or_keys() -> None:
    from typing import Any

    import pytest

    from remediate.answers import Malformed, StrictAnswer, check

    class Thing(StrictAnswer):
        id: int
        flags: dict[str, bool] = {}

    cases: list[Any] = [{"id": "ghp_secret"}, {"id": 1, "flags": {"ghp_secret key": "ghp_secret"}}, ["ghp_secret"]]
    for data in cases:
        with pytest.raises(Malformed) as caught:
            check(Thing, data, tracker="github", request="GET /things/1")
        assert "ghp_secret" not in str(caught.value) and "GET /things/1" in str(caught.value)
