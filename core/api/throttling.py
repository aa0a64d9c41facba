"""The anonymous throttle: DRF's rate and cache key, counted at a constant cost per request.

DRF's `AnonRateThrottle` keeps each client's request times as a list in the cache, up to the rate's count
(3,000 an hour by default), and reads and writes the whole list on every request: a client that reads a
lot pays for unpickling and pickling thousands of floats on each request, and the cache carries them.

This one keeps three numbers per client: the current window (the rate's duration long), its count, and
the previous window's count. The requests of the last `duration` seconds are estimated as the previous
window's count, weighted by the share of it still inside that span, plus the current window's count (a
sliding-window counter). Like DRF's, it is one read and one write of the cache per request, and two
processes sharing the cache share the counts; unlike DRF's, both are a few bytes whatever the rate.
"""

from rest_framework.throttling import AnonRateThrottle


class AnonWindowThrottle(AnonRateThrottle):
    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window, into = divmod(now, self.duration)
        window = int(window)
        current = previous = 0
        state = self.cache.get(self.key)
        if isinstance(state, tuple) and len(state) == 3:  # anything else (a list DRF wrote) starts afresh
            last, count, before = state
            if last == window:
                current, previous = count, before
            elif last == window - 1:
                previous = count
        if previous * (1 - into / self.duration) + current >= self.num_requests:
            self.wait_seconds = seconds_until_below(self.num_requests, self.duration, previous, current, into)
            return False
        self.cache.set(self.key, (window, current + 1, previous), 2 * self.duration)
        return True

    def wait(self) -> float | None:
        return self.wait_seconds


def seconds_until_below(
    limit: int, duration: float, previous: int, current: int, into: float
) -> float | None:
    """How long until the estimate `previous * (1 - into / duration) + current` is below `limit` with no new
    request: within this window the previous window's share shrinks; after it, this window's count is the
    one that shrinks. None when it never will (a limit of 0)."""
    if limit <= 0:
        return None
    if previous:
        # previous * (1 - (into + t) / duration) + current < limit
        t = duration * (previous + current - limit) / previous - into
        if into + t < duration:
            return max(t, 0.0)
    # In the next window: current * (1 - s / duration) < limit, s seconds into it.
    s = max(duration * (1 - limit / current), 0.0) if current else 0.0
    return duration - into + s
