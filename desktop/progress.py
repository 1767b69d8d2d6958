"""Indexing counters that hold still while folders come and go.

Each indexing run of the engine counts its own files from zero. Adding a folder while one runs
stops that run after its batch and starts another with what is left and the new folder, so
its raw reports would jump back ("300/611 files" to "0/520"). :class:`ProgressTally` carries
the files done by interrupted runs of one busy stretch into the next run's counts, so the
window reads "300/820" and counts on; a stretch ends once a run has done all its files.
"""

from __future__ import annotations

import dataclasses
from typing import Final

from engine.facade import Progress, RunState

RUN_STATES: Final = (RunState.INDEXING, RunState.PAUSED, RunState.DONE, RunState.CANCELLED)


class ProgressTally:
    """Feed it every progress report in order; :meth:`add` answers the report to show."""

    def __init__(self) -> None:
        self._carried = 0  # files done by the interrupted runs before the current one
        self._run: Progress | None = None  # the current run's latest report

    def add(self, progress: Progress) -> Progress:
        if progress.state not in RUN_STATES or progress.files_total == 0:
            if self._run is not None and self._finished(self._run):
                self.reset()
            return progress  # the watcher's own news (scanning, watching): no counts
        last = self._run
        if last is not None and self._new_run(last, progress):
            if self._finished(last):
                self._carried = 0
            else:
                self._carried += last.files_done
        self._run = progress
        return dataclasses.replace(
            progress,
            files_done=self._carried + progress.files_done,
            files_total=self._carried + progress.files_total,
        )

    def reset(self) -> None:
        self._carried = 0
        self._run = None

    @staticmethod
    def _new_run(last: Progress, progress: Progress) -> bool:
        # A run's total is fixed, and its count and clock only go up.
        return (
            progress.files_total != last.files_total
            or progress.files_done < last.files_done
            or progress.elapsed < last.elapsed
        )

    @staticmethod
    def _finished(run: Progress) -> bool:
        return run.files_done >= run.files_total
