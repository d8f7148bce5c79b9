"""Auth test helpers: a clock the test moves by hand (login delays are measured on koppontren.clock.now)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from koppontren import clock


class FrozenClock:
    """``koppontren.clock.now`` stands still until the test calls ``advance``."""

    def __init__(self, start: datetime) -> None:
        self.moment = start

    def now(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


@pytest.fixture
def frozen_clock(monkeypatch) -> FrozenClock:
    frozen = FrozenClock(datetime.now(UTC).replace(microsecond=0))
    monkeypatch.setattr(clock, "now", frozen.now)
    return frozen
