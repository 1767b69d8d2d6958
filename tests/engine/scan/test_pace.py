"""The indexing pace and time estimate: of the recent work, not of the models' warm-up."""

from __future__ import annotations

import pytest

from engine.scan.pipeline import RecentRate


def _rates(pace: RecentRate) -> tuple[float, float]:
    rates = pace.rates()
    assert rates is not None
    return rates


def test_no_pace_is_told_before_files_were_measured() -> None:
    pace = RecentRate(window=30.0, min_files=4)
    pace.add(0.0, 0, 0)  # nothing done yet: not a count
    assert pace.rates() is None
    pace.add(100.0, 16, 16_000)  # the first batch, after the models loaded for 100 s
    assert pace.rates() is None  # one count says nothing of the pace
    pace.add(100.0, 16, 16_000)
    assert pace.rates() is None  # no time between: still nothing


def test_the_warm_up_before_the_first_file_does_not_count() -> None:
    pace = RecentRate(window=30.0, min_files=4)
    pace.add(100.0, 16, 16_000)  # 100 s of loading before this, at 16 files in all
    for second in range(1, 11):
        pace.add(100.0 + second, 16 + 16 * second, 16_000 * (1 + second))
    files, byte_rate = _rates(pace)
    # An average since the start would say 176 files / 110 s = 1.6 files/s, 10 times too slow.
    assert files == pytest.approx(16.0) and byte_rate == pytest.approx(16_000.0)


def test_the_pace_follows_the_last_window_of_work() -> None:
    pace = RecentRate(window=30.0, min_files=4)
    done = 0
    for second in range(0, 61):  # a minute of quick photos: 10 files/s
        done = 10 * second + 10
        pace.add(float(second), done, done * 1000)
    assert _rates(pace)[0] == pytest.approx(10.0)
    for second in range(61, 121):  # then a minute of videos: 1 file/s, 100 kB each
        done += 1
        pace.add(float(second), done, pace_bytes(done))
    files, _bytes = _rates(pace)
    assert files == pytest.approx(1.0)  # the photos left the window


def pace_bytes(done: int) -> int:
    """Bytes after ``done`` files: 610 photos of 1 kB, then videos of 100 kB."""
    return 610 * 1000 + (done - 610) * 100_000
