"""Whisper's decoding settings, as the exporter writes them and the engine reads them.

The pack's ``generation`` file holds the special token ids and suppression lists that greedy
decoding needs and the manifest has no field for. Standard library only: the app reads it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from models.manifest import PackError


@dataclass(frozen=True)
class WhisperGeneration:
    """Special token ids (they differ between .en and multilingual vocabularies) and limits."""

    eot: int
    sot: int
    transcribe: int
    translate: int
    no_speech: int
    no_timestamps: int
    timestamp_begin: int
    english_only: bool
    suppress: list[int]
    suppress_at_begin: list[int]
    languages: dict[str, int]
    max_text_tokens: int = 448
    seconds_per_timestamp: float = 0.02

    @classmethod
    def read(cls, path: Path) -> WhisperGeneration:
        try:
            return cls(**json.loads(path.read_text()))
        except (OSError, TypeError, ValueError) as error:
            raise PackError(f"cannot read Whisper generation settings {path}: {error}") from error

    def write(self, path: Path) -> Path:
        path.write_text(json.dumps(asdict(self), indent=1) + "\n")
        return path

    def describe(self) -> str:
        return (
            f"special tokens: eot {self.eot}, sot {self.sot}, transcribe {self.transcribe}, "
            f"no-speech {self.no_speech}, no-timestamps {self.no_timestamps}, timestamps from "
            f"{self.timestamp_begin} in steps of {self.seconds_per_timestamp} s"
        )
