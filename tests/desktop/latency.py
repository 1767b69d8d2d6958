"""How long the GUI thread's event loop stalls: a timer that notes how late each tick runs."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer


class LoopLatency(QObject):
    """Ticks every ``interval_ms``; a tick that runs late measures a stall of the event loop.

    A window that keeps its heavy work off the GUI thread shows lateness of a few milliseconds;
    a blocking call shows up as one tick hundreds of milliseconds late.
    """

    def __init__(self, interval_ms: int = 10, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._interval = interval_ms / 1000
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0
        self.lateness: list[float] = []  # seconds each tick came after it was due

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.lateness.append(max(0.0, now - self._last - self._interval))
        self._last = now

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.lateness)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def summary(self) -> str:
        worst = max(self.lateness, default=0.0)
        return (
            f"{len(self.lateness)} ticks, lateness p50 {self.percentile(0.5) * 1000:.1f} ms, "
            f"p99 {self.percentile(0.99) * 1000:.1f} ms, max {worst * 1000:.0f} ms"
        )
