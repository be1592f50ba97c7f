"""The bounded total wait every connector's transport shares (remediate.budget), on an injected clock."""

from __future__ import annotations

from remediate.budget import MIN_TIMEOUT, Budget, Budgets


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_attempt_timeout_shrinks_to_what_is_left() -> None:
    clock = Clock()
    budget = Budget(clock, 45)
    assert budget.timeout(30) == 30
    clock.now += 30  # a first attempt timed out
    assert budget.timeout(30) == 15
    clock.now += 14.99
    assert budget.timeout(30) == MIN_TIMEOUT  # never 0: requests would not wait at all
    assert budget.remaining() < 0.1


def test_a_backoff_that_would_end_past_the_bound_is_not_started() -> None:
    clock = Clock()
    budget = Budget(clock, 45)
    clock.now += 30
    assert not budget.exceeded(1.0)
    assert budget.exceeded(15.0)  # 30 + 15 reaches the bound: give up now, not after sleeping


def test_rate_limit_waits_can_be_excused() -> None:
    clock = Clock()
    budget = Budget(clock, 45)
    clock.now += 60
    budget.extend(60)  # the tracker asked for that minute; it is bounded by max_wait instead
    assert budget.spent() == 0 and not budget.exceeded()


def test_the_line_names_the_request_the_bound_and_the_setting() -> None:
    error = Budget(Clock(), 45).gave_up(
        "Jira",
        "GET /rest/api/2/search",
        "trying to search issues",
        "timeout",
        "[connectors.jira] max_total_wait",
        "jira",
    )
    assert str(error) == (
        "jira: Jira did not answer within 45 s (GET /rest/api/2/search; last attempt: timeout) while trying to "
        "search issues: try again later, or raise [connectors.jira] max_total_wait"
    )


def test_a_call_made_during_another_shares_its_budget() -> None:
    clock = Clock()
    budgets = Budgets(clock, 45)
    with budgets.call() as outer:
        clock.now += 40
        with budgets.call() as inner:  # the lookup a retry makes first
            assert inner is outer and inner.remaining() == 5
    with budgets.call() as fresh:
        assert fresh is not outer and fresh.remaining() == 45
