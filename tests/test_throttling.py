"""The anonymous throttle counts at a constant cost: three numbers per client, whatever the rate."""

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle

from core.api.throttling import AnonWindowThrottle, seconds_until_below


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def throttle(monkeypatch):
    """A throttle of 10 a minute on a clock the test moves, for one client address."""
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "10/minute"})
    clock = Clock(6000.0)  # the start of a minute
    monkeypatch.setattr(AnonWindowThrottle, "timer", clock)
    request = Request(RequestFactory().get("/api/v1/events/", REMOTE_ADDR="10.1.2.3"))

    def allowed(n: int = 1) -> list[bool]:
        return [AnonWindowThrottle().allow_request(request, None) for _ in range(n)]

    allowed.clock = clock
    allowed.key = AnonWindowThrottle().get_cache_key(request, None)
    return allowed


def test_the_rate_holds_within_a_window_and_the_count_stays_three_numbers(throttle):
    assert throttle(10) == [True] * 10
    assert throttle(2) == [False, False]  # refused requests are not counted
    assert cache.get(throttle.key) == (100, 10, 0)  # minute 100 (6000 s), 10 requests, none the minute before


def test_the_previous_window_counts_for_the_share_still_inside_the_last_duration(throttle):
    throttle.clock.now += 50  # 10 requests late in the first minute
    assert throttle(10) == [True] * 10
    throttle.clock.now += 15  # 5 s into the next minute: 10 * 55/60 ≈ 9.2 of them still count
    assert throttle(1) == [True]  # 9.2 + 0 < 10
    assert throttle(1) == [False]  # 9.2 + 1 ≥ 10
    throttle.clock.now += 30  # 35 s in: 10 * 25/60 ≈ 4.2, plus the 1 of this minute
    assert throttle(6) == [True] * 5 + [False]  # 4.2 + 1 + 5 ≥ 10
    throttle.clock.now += 120  # two windows later nothing counts
    assert throttle(10) == [True] * 10


def test_a_refusal_says_how_long_to_wait(throttle):
    throttle(10)
    refused = AnonWindowThrottle()
    request = Request(RequestFactory().get("/", REMOTE_ADDR="10.1.2.3"))
    assert refused.allow_request(request, None) is False
    # All 10 in this window, 0 s into it: they count in full for 60 s, then fade; below 10 at once.
    assert refused.wait() == pytest.approx(60.0)


@pytest.mark.parametrize(
    "limit,previous,current,into",
    [
        (10, 10, 0, 5.0),
        (10, 6, 5, 20.0),
        (10, 0, 10, 0.0),
        (10, 20, 3, 1.0),
        (3, 0, 7, 30.0),
        (1, 5, 5, 59.0),
    ],
)
def test_the_wait_is_when_the_estimate_drops_below_the_limit(limit, previous, current, into):
    duration = 60.0
    wait = seconds_until_below(limit, duration, previous, current, into)

    def estimate(t: float) -> float:
        at = into + t
        if at < duration:
            return previous * (1 - at / duration) + current
        return current * (1 - (at - duration) / duration) if at < 2 * duration else 0.0

    assert estimate(max(wait - 0.01, 0)) >= limit - 1e-9 or wait == 0
    assert estimate(wait + 0.01) < limit


def test_no_limit_never_clears():
    assert seconds_until_below(0, 60.0, 0, 0, 0.0) is None
