"""The one retry loop (remediate.retry), on an injected clock and sleep: nothing here really waits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from remediate.errors import RateLimited, Unavailable
from remediate.retry import GiveUp, Retrier, Retry, RetryPolicy, parse_retry_after, retry_after

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC).timestamp()


@dataclass
class Time:
    """A clock that only moves when something sleeps on it; the sleeps are recorded."""

    now: float = NOW
    waits: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)


def http(policy: RetryPolicy, clock: Time):  # type: ignore[no-untyped-def]
    """A classifier for Answers: the policy's statuses are retried, 429 is a rate limit."""

    def classify(outcome: Answer | Exception) -> Retry | None:
        if isinstance(outcome, Exception):
            return Retry(outcome.__class__.__name__)
        if not policy.retryable(outcome.status):
            return None
        after = retry_after(outcome.headers, clock())
        return Retry(f"HTTP {outcome.status}", after=after, limited=outcome.status == 429, sent=outcome.status != 429)

    return classify


def scripted(clock: Time, answers: list[Answer | Exception], spend: float = 0.0):  # type: ignore[no-untyped-def]
    """``send`` that plays ``answers`` in order; each attempt takes ``spend`` seconds of the clock."""
    sent: list[float] = []

    def send(timeout: float) -> Answer:
        sent.append(timeout)
        clock.now += spend
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return send, sent


def test_retry_after_as_seconds_or_http_date() -> None:
    in_30 = format_datetime(datetime.fromtimestamp(NOW, UTC) + timedelta(seconds=30), usegmt=True)
    assert retry_after({"Retry-After": in_30}, NOW) == 30.0
    assert retry_after({"retry-after": "12"}, NOW) == 12.0  # any case of the name
    assert retry_after({"Retry-After": "1.5"}, NOW) == 1.5
    assert retry_after({"Retry-After": "-4"}, NOW) == 0.0
    in_the_past = format_datetime(datetime.fromtimestamp(NOW - 60, UTC), usegmt=True)
    assert retry_after({"Retry-After": in_the_past}, NOW) == 0.0
    assert parse_retry_after("Sun, 01 Mar 2026 12:00:07 -0000", NOW) == 7.0  # no zone: UTC
    for garbage in ("soon", "", "  ", "inf", "nan", "Mon, 99 Foo 2026"):
        assert parse_retry_after(garbage, NOW) is None, garbage
    assert retry_after({}, NOW) is None


def test_an_http_date_30_s_ahead_waits_30_s() -> None:
    clock = Time()
    policy = RetryPolicy()
    in_30 = format_datetime(datetime.fromtimestamp(NOW, UTC) + timedelta(seconds=30), usegmt=True)
    send, sent = scripted(clock, [Answer(503, {"Retry-After": in_30}), Answer(200)])
    answer = Retrier(policy, clock, clock.sleep).call(send, http(policy, clock))
    assert answer.status == 200 and len(sent) == 2
    assert clock.waits == [30.0]


def test_seconds_are_honoured_and_garbage_or_zero_falls_back_to_backoff() -> None:
    clock = Time()
    policy = RetryPolicy(attempts=5, backoff=1.0, max_backoff=3.0)
    answers: list[Answer | Exception] = [
        Answer(503, {"Retry-After": "7"}),
        Answer(503, {"Retry-After": "whenever"}),  # garbage: backoff, 2nd retry -> 2 s
        Answer(503, {"Retry-After": "0"}),  # 0 is no advice: backoff, 3rd retry -> 4 s, capped at 3
        ConnectionResetError("reset"),  # no headers at all: backoff capped
        Answer(204),
    ]
    send, sent = scripted(clock, answers)
    Retrier(policy, clock, clock.sleep).call(send, http(policy, clock))
    assert clock.waits == [7.0, 2.0, 3.0, 3.0]
    assert len(sent) == 5


def test_attempts_run_out_with_the_callers_line() -> None:
    clock = Time()
    policy = RetryPolicy(attempts=3)
    send, sent = scripted(clock, [Answer(502)] * 5)

    def words(stop: GiveUp) -> BaseException:
        return Unavailable(f"{stop.reason}: {stop.last.problem}, {stop.count} attempts")

    with pytest.raises(Unavailable, match=r"^attempts: HTTP 502, 3 attempts$"):
        Retrier(policy, clock, clock.sleep).call(send, http(policy, clock), give_up=words)
    assert len(sent) == 3 and clock.waits == [1.0, 2.0]


def test_the_total_wait_budget_gives_up_with_one_clear_line_before_sleeping_past_it() -> None:
    clock = Time()
    policy = RetryPolicy(attempts=10, backoff=4.0, max_backoff=30.0, max_total_wait=45.0, timeout=10.0)
    send, sent = scripted(clock, [TimeoutError("slow")] * 10, spend=10.0)
    with pytest.raises(Unavailable) as caught:
        Retrier(policy, clock, clock.sleep).call(send, http(policy, clock))
    # 10 s attempt, 4 s, 10 s, 8 s = 32 s; the next attempt gets the 10 s left (42 s), and a
    # 16 s backoff would end past 45 s: it gives up there instead of sleeping.
    assert clock.waits == [4.0, 8.0]
    assert sent == [10.0, 10.0, 10.0]
    assert str(caught.value) == "no answer within 45 s (last attempt: TimeoutError): try again later"
    assert "\n" not in str(caught.value)


def test_each_attempt_timeout_shrinks_to_what_the_budget_has_left() -> None:
    clock = Time()
    policy = RetryPolicy(attempts=5, backoff=1.0, max_total_wait=20.0, timeout=15.0)
    send, sent = scripted(clock, [TimeoutError(), Answer(200)], spend=15.0)
    Retrier(policy, clock, clock.sleep).call(send, http(policy, clock))
    assert sent == [15.0, 4.0]  # 20 - 15 - 1


def test_rate_limit_waits_are_excused_from_the_budget_but_bounded_by_max_wait() -> None:
    clock = Time()
    policy = RetryPolicy(attempts=5, max_wait=60.0, max_total_wait=45.0)
    send, _ = scripted(clock, [Answer(429, {"Retry-After": "50"}), Answer(429, {"Retry-After": "50"}), Answer(200)])
    Retrier(policy, clock, clock.sleep).call(send, http(policy, clock))
    assert clock.waits == [50.0, 50.0]  # 100 s asked for by the server, past the 45 s bound: fine

    send, _ = scripted(clock, [Answer(429, {"Retry-After": "3600"})])
    with pytest.raises(RateLimited) as caught:
        Retrier(policy, clock, clock.sleep).call(send, http(policy, clock))
    assert caught.value.retry_after == 3600.0 and clock.waits == [50.0, 50.0]  # no wait started

    counted = RetryPolicy(attempts=5, max_total_wait=45.0, excuse_rate_limits=False)
    send, _ = scripted(clock, [Answer(429, {"Retry-After": "50"})])
    with pytest.raises(RateLimited):
        Retrier(counted, clock, clock.sleep).call(send, http(counted, clock))


def test_rate_limits_can_be_counted_apart_from_failures() -> None:
    clock = Time()
    policy = RetryPolicy(attempts=2, rate_limit_retries=3)
    answers: list[Answer | Exception] = [Answer(429), Answer(429), Answer(503), Answer(429), Answer(200)]
    send, sent = scripted(clock, answers)
    Retrier(policy, clock, clock.sleep).call(send, http(policy, clock))
    assert len(sent) == 5  # three rate limits and one failure, each within its own count
    assert clock.waits == [1.0, 2.0, 1.0, 4.0]  # each kind backs off on its own count

    send, sent = scripted(clock, [Answer(429)] * 5)
    with pytest.raises(RateLimited):
        Retrier(policy, clock, clock.sleep).call(send, http(policy, clock))
    assert len(sent) == 4  # the first answer and three retries


def test_the_applied_hook_stops_a_resend_of_a_write_that_landed() -> None:
    clock = Time()
    policy = RetryPolicy()
    send, sent = scripted(clock, [Answer(502), Answer(201)])
    looked: list[str] = []

    def applied(last: Retry) -> Answer | None:
        looked.append(last.problem)
        return Answer(200, {"X-Found": "yes"})

    answer = Retrier(policy, clock, clock.sleep).call(send, http(policy, clock), idempotent=False, applied=applied)
    assert answer.headers == {"X-Found": "yes"}
    assert len(sent) == 1 and looked == ["HTTP 502"]  # looked before resending, and did not resend


def test_a_write_that_did_not_land_is_resent_and_one_that_may_have_is_never_resent_blindly() -> None:
    clock = Time()
    policy = RetryPolicy()
    send, sent = scripted(clock, [Answer(503), Answer(201)])
    answer = Retrier(policy, clock, clock.sleep).call(
        send, http(policy, clock), idempotent=False, applied=lambda last: None
    )
    assert answer.status == 201 and len(sent) == 2

    send, sent = scripted(clock, [Answer(503), Answer(201)])
    with pytest.raises(Unavailable):
        Retrier(policy, clock, clock.sleep).call(send, http(policy, clock), idempotent=False)
    assert len(sent) == 1  # no hook to look with: not sent again

    send, sent = scripted(clock, [Answer(429), Answer(201)])  # a 429 was not applied: resent
    assert Retrier(policy, clock, clock.sleep).call(send, http(policy, clock), idempotent=False).status == 201


def test_the_hook_is_asked_once_more_before_giving_up() -> None:
    clock = Time()
    policy = RetryPolicy(attempts=2)
    send, sent = scripted(clock, [Answer(502), Answer(502)])
    looks = iter([None, Answer(200)])
    answer = Retrier(policy, clock, clock.sleep).call(
        send, http(policy, clock), idempotent=False, applied=lambda last: next(looks)
    )
    assert answer.status == 200 and len(sent) == 2


def test_lookups_made_by_the_hook_share_the_calls_budget() -> None:
    clock = Time()
    policy = RetryPolicy(max_total_wait=45.0)
    retrier = Retrier(policy, clock, clock.sleep)
    budgets: list[float] = []

    def look(last: Retry) -> Answer | None:
        lookup, timeouts = scripted(clock, [Answer(200)])
        retrier.call(lookup, http(policy, clock))
        budgets.extend(timeouts)
        return None

    send, _ = scripted(clock, [Answer(502), Answer(201)], spend=40.0)
    retrier.call(send, http(policy, clock), idempotent=False, applied=look)
    assert budgets == [pytest.approx(45.0 - 40.0 - 1.0)]  # not a fresh 30 s


def test_final_answers_and_errors_pass_through_untouched() -> None:
    clock = Time()
    policy = RetryPolicy()
    send, sent = scripted(clock, [Answer(404)])
    assert Retrier(policy, clock, clock.sleep).call(send, http(policy, clock)).status == 404

    def classify(outcome: Answer | Exception) -> Retry | None:
        return None

    send, sent = scripted(clock, [KeyError("x")])
    with pytest.raises(KeyError):
        Retrier(policy, clock, clock.sleep).call(send, classify)
    assert clock.waits == []


def test_jitter_is_off_by_default_and_its_random_source_is_injectable() -> None:
    assert [RetryPolicy(backoff=2.0).backoff_for(n) for n in range(3)] == [2.0, 4.0, 8.0]
    jittery = RetryPolicy(backoff=2.0, jitter=0.5, random=lambda: 0.5)
    assert [jittery.backoff_for(n) for n in range(3)] == [1.5, 3.0, 6.0]
    assert RetryPolicy(backoff=2.0, max_backoff=5.0).backoff_for(10) == 5.0
