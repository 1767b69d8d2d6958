"""Build Trove's installers: the PyInstaller bundle, the app tree, a .deb, a Windows installer.

    python packaging/build.py bundle            the PyInstaller folder (no pack, no demo)
    python packaging/build.py app               the bundle + the model pack + the demo folder
    python packaging/build.py deb [--version V] the Debian package
    python packaging/build.py nsis [--no-pack]  the Windows installer (makensis)
    python packaging/build.py macapp            Trove.app with pack and demo (on macOS)

Common options: ``--pack DIR`` (default: the dev pack), ``--python EXE`` (the run-time env whose
packages are bundled; default: this interpreter). Prints one JSON object with the paths built.

Everything is built under ``$TROVE_CACHE/packaging`` (never in the repository), in folders named
by a hash of the inputs (sources, lock files, this folder, the pack's manifest and build key), so
a second run with the same inputs returns at once.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NAME = "trove"
# Files whose content decides what the bundle holds.
_SOURCE_DIRS = ("engine", "desktop", "models")
_SOURCE_FILES = (
    "pyproject.toml",
    "requirements/runtime.lock",
    "requirements/dev.lock",
    "packaging/trove.spec",
    "packaging/launch_desktop.py",
    "packaging/launch_cli.py",
    "packaging/rthook_trove.py",
    "packaging/icons.py",
    "packaging/demo-media-licences.txt",
    "packaging/label-licences.txt",
    "packaging/place-names-licence.txt",
)
_SKIP_PARTS = {"__pycache__", ".mypy_cache", ".ruff_cache"}
# The demo shipped in the bundle: a few real files of each kind from the developers' demo folder.
DEMO_FILES = (
    "Photos/chelsea.png",
    "Photos/coffee.png",
    "Photos/rocket.jpg",
    "Photos/astronaut.png",
    "Photos/tiger.png",
    "Photos/dog.png",
    "Photos/elephant.png",
    "Photos/747.png",
    "Photos/flower.jpg",
    "Photos/penguin.png",
    "Sounds/dog.ogg",
    "Sounds/elephant.ogg",
    "Recordings/budget_meeting.wav",
    "Recordings/tomato_plants.wav",
    "Recordings/viaje_a_la_playa.ogg",
    "Recordings/beijing_trip.ogg",
    "Videos/space_museum.mp4",
    "Notes/zoo-trip.md",
    "Notes/recipes.txt",
)
DEMO_LICENCES = ROOT / "packaging" / "demo-media-licences.txt"
LABEL_LICENCES = ROOT / "packaging" / "label-licences.txt"  # the pack's tag names
PLACE_NAMES_LICENCE = ROOT / "packaging" / "place-names-licence.txt"  # GeoNames asks credit
# A fixed date for the demo files: a rebuilt package must not look like changed files to the index.
DEMO_MTIME = 1_767_225_600  # 2026-01-01 UTC
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICON_SVG = ROOT / "desktop" / "assets" / "trove.svg"
# Qt loads these from the system (GL by dlopen, which ldd cannot see); the rest of Depends is found
# by ldd on the bundle and dpkg -S on each library it resolves outside the bundle.
BASE_DEPENDS = (
    "libegl1",
    "libgl1",
    "libxkbcommon0",
    "libxkbcommon-x11-0",
    "libfontconfig1",
    "libdbus-1-3",
    "libglib2.0-0",
    "libxcb-cursor0",
)


class BuildError(Exception):
    """A build step failed; the message says which and why."""


def cache_dir() -> Path:
    configured = os.environ.get("TROVE_CACHE")
    root = Path(configured) if configured else Path.home() / ".cache" / "trove"
    return root / "packaging"


def default_pack() -> Path:
    return cache_dir().parent / "packs" / "dev"


def _source_files() -> Iterator[Path]:
    for folder in _SOURCE_DIRS:
        for path in sorted((ROOT / folder).rglob("*")):
            if (
                path.is_file()
                and not _SKIP_PARTS.intersection(path.parts)
                and path.suffix != ".pyc"
            ):
                yield path
    for name in _SOURCE_FILES:
        if (ROOT / name).is_file():
            yield ROOT / name


def _digest(parts: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.hexdigest()[:16]


def code_key(python: Path) -> str:
    """What the PyInstaller bundle depends on: our sources, the locks, the interpreter."""
    parts: list[bytes] = [str(python.resolve()).encode(), platform.platform().encode()]
    for path in _source_files():
        parts += [path.relative_to(ROOT).as_posix().encode(), path.read_bytes()]
    return _digest(parts)


def pack_key(pack: Path) -> str:
    """A pack is named by its manifest (which hashes every file) and its build key if any."""
    parts = [(pack / "manifest.json").read_bytes()]
    if (pack / "build-key.txt").is_file():
        parts.append((pack / "build-key.txt").read_bytes())
    return _digest(parts)


def run(command: list[str], **kwargs: object) -> None:
    """Run a build tool; on failure raise with its last lines of output."""
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        tail = (result.stdout + result.stderr)[-4000:]
        raise BuildError(f"{command[0]} failed ({result.returncode}):\n{tail}")


def prune(pattern: str, keep: Path, count: int = 2) -> None:
    """Keep the newest ``count`` cached builds matching ``pattern`` (``keep`` always stays)."""
    builds = sorted(cache_dir().glob(pattern), key=lambda path: path.stat().st_mtime, reverse=True)
    for old in [path for path in builds if path != keep][count - 1 :]:
        shutil.rmtree(old, ignore_errors=True)


def link_file(source: Path | str, target: Path | str) -> None:
    """A hard link where the file system allows (the pack is 300 MB), else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def link_tree(source: Path, target: Path) -> None:
    """Copy a tree as hard links where the file system allows, else copies."""
    shutil.copytree(source, target, copy_function=link_file, symlinks=True, dirs_exist_ok=True)


def ship_pack(pack: Path, target: Path) -> None:
    """The pack as the app uses it: every model but the alternative builds of another one (a
    pack may keep some for the encoder benchmarks), which the installers spare."""
    from models.manifest import load_manifest

    manifest = load_manifest(pack, verify=False)
    shipped = tuple(entry for entry in manifest.models if not entry.alternative_to)
    files = sorted({ref.path for entry in shipped for ref in entry.files.values()})
    if (pack / "build-key.txt").is_file():
        files.append("build-key.txt")
    for relative in files:
        copied = target / relative
        copied.parent.mkdir(parents=True, exist_ok=True)
        link_file(pack / relative, copied)
    manifest.with_models(shipped, target).write(target)
    load_manifest(target)  # every shipped file present and whole


@dataclass(frozen=True)
class Builder:
    python: Path
    pack: Path
    version: str

    # --- the PyInstaller bundle ---------------------------------------------------------------

    def bundle(self) -> Path:
        """``<cache>/bundle-<key>/trove``: both executables and their libraries, no pack."""
        home = cache_dir() / f"bundle-{code_key(self.python)}"
        result = home / "dist" / NAME
        if (home / "done").is_file():
            return result
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        icons = self.icons(home / "icons")
        env = dict(os.environ, TROVE_ICON=str(icons / "256.png"), TROVE_VERSION=self.version)
        run(
            [
                str(self.python),
                "-m",
                "PyInstaller",
                "--noconfirm",
                "--log-level=WARN",
                f"--distpath={home / 'dist'}",
                f"--workpath={home / 'work'}",
                str(HERE / "trove.spec"),
            ],
            cwd=ROOT,
            env=env,
        )
        shutil.rmtree(home / "work", ignore_errors=True)
        slim(result)
        (home / "done").write_text(code_key(self.python) + "\n")
        prune("bundle-*", home)
        return result

    def icons(self, folder: Path) -> Path:
        """The SVG rendered to PNGs at every size, by Qt (run in the bundled env: no new deps)."""
        if not (folder / "512.png").is_file():
            folder.mkdir(parents=True, exist_ok=True)
            sizes = ",".join(map(str, ICON_SIZES))
            run(
                [str(self.python), str(HERE / "icons.py"), str(ICON_SVG), str(folder), sizes],
                env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
            )
        return folder

    # --- the app tree: bundle + pack + demo ---------------------------------------------------

    def demo_source(self) -> Path:
        configured = os.environ.get("TROVE_DEMO")
        demo = Path(configured) if configured else cache_dir().parent / "media" / "demo"
        if not all((demo / name).is_file() for name in DEMO_FILES):
            run([str(self.python), "-m", "tests.media", "demo"], cwd=ROOT)
            demo = cache_dir().parent / "media" / "demo"
        return demo

    def app(self, with_pack: bool = True) -> Path:
        """``<cache>/app-<key>/trove``: what is installed, as hard links into the cached parts."""
        bundle = self.bundle()
        key = code_key(self.python) + (pack_key(self.pack) if with_pack else "-nopack")
        home = cache_dir() / f"app-{_digest([key.encode()])}"
        tree = home / NAME
        if (home / "done").is_file():
            return tree
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        link_tree(bundle, tree)
        self.place_payload(tree, with_pack)
        (home / "done").write_text(key + "\n")
        prune("app-*", home)
        return tree

    def place_payload(self, target: Path, with_pack: bool) -> None:
        """Put the model pack and the demo into ``target`` (the bundle, or an app's Resources)."""
        if with_pack:
            if not (self.pack / "manifest.json").is_file():
                raise BuildError(f"no model pack at {self.pack}: build it with ./dev setup")
            ship_pack(self.pack, target / "packs" / self.pack.name)
        demo = self.demo_source()
        for name in DEMO_FILES:
            copied = target / "demo" / name
            copied.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(demo / name, copied)
            os.utime(copied, (DEMO_MTIME, DEMO_MTIME))
        # Beside the demo, not in it: a licence list would show up in the demo's searches.
        licences = target / "licences"
        licences.mkdir(exist_ok=True)
        shutil.copyfile(DEMO_LICENCES, licences / "demo-media.txt")
        shutil.copyfile(LABEL_LICENCES, licences / "tag-names.txt")
        shutil.copyfile(PLACE_NAMES_LICENCE, licences / "place-names.txt")

    # --- macOS ------------------------------------------------------------------------------------

    def macapp(self) -> Path:
        """Trove.app with the pack and demo in Contents/Resources (where codesign wants data)."""
        source = self.bundle().parent / "Trove.app"
        if not source.is_dir():
            raise BuildError("no Trove.app: the macOS bundle is built on macOS only")
        home = (
            cache_dir()
            / f"macapp-{_digest([code_key(self.python).encode(), pack_key(self.pack).encode()])}"
        )
        app = home / "Trove.app"
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(source, app, symlinks=True)
        self.place_payload(app / "Contents" / "Resources", with_pack=True)
        return app

    # --- Linux ----------------------------------------------------------------------------------

    def depends(self, tree: Path) -> list[str]:
        """The Debian packages that own the system libraries the bundle links against."""
        owners = set(BASE_DEPENDS)
        for library in sorted(system_libraries(tree)):
            owner = package_of(library)
            if owner is not None:
                owners.add(owner)
        return sorted(owners)

    def deb(self, compress: str = "zstd", level: int = 19, with_pack: bool = True) -> Path:
        tree = self.app(with_pack=with_pack)
        key = _digest(
            [str(tree).encode(), self.version.encode(), f"{compress}{level}".encode()]
            + [path.read_bytes() for path in sorted((HERE / "linux").iterdir())]
            + [Path(__file__).read_bytes()]
        )
        out = cache_dir() / "debs" / key / f"{NAME}_{self.version}_{deb_arch()}.deb"
        if out.is_file():
            return out
        with tempfile.TemporaryDirectory(dir=cache_dir()) as scratch:
            stage = Path(scratch) / "root"
            link_tree(tree, stage / "opt" / NAME)
            self._deb_extras(stage)
            out.parent.mkdir(parents=True, exist_ok=True)
            partial = out.with_suffix(".part")
            run(
                [
                    "dpkg-deb",
                    "--root-owner-group",
                    f"-Z{compress}",
                    f"-z{level}",
                    "--build",
                    str(stage),
                    str(partial),
                ]
            )
            partial.rename(out)
        prune("debs/*", out.parent, count=3)  # the test installs two versions
        return out

    def _deb_extras(self, stage: Path) -> None:
        bin_dir = stage / "usr" / "bin"
        bin_dir.mkdir(parents=True)
        for command in ("trove", "trove-desktop"):
            (bin_dir / command).symlink_to(f"/opt/{NAME}/{command}")
        apps = stage / "usr" / "share" / "applications"
        apps.mkdir(parents=True)
        shutil.copyfile(HERE / "linux" / "trove.desktop", apps / "trove.desktop")
        icons = self.icons(self.bundle().parent.parent / "icons")
        hicolor = stage / "usr" / "share" / "icons" / "hicolor"
        for size in ICON_SIZES:
            target = hicolor / f"{size}x{size}" / "apps" / "trove.png"
            target.parent.mkdir(parents=True)
            shutil.copyfile(icons / f"{size}.png", target)
        (hicolor / "scalable" / "apps").mkdir(parents=True)
        shutil.copyfile(ICON_SVG, hicolor / "scalable" / "apps" / "trove.svg")
        control = stage / "DEBIAN"
        control.mkdir()
        installed_kib = (
            sum(path.lstat().st_size for path in stage.rglob("*") if path.is_file()) // 1024 + 1
        )
        template = (HERE / "linux" / "control").read_text()
        (control / "control").write_text(
            template.format(
                version=self.version,
                arch=deb_arch(),
                installed_size=installed_kib,
                depends=", ".join(self.depends(stage / "opt" / NAME)),
            )
        )
        for script in ("postinst", "postrm"):
            shutil.copyfile(HERE / "linux" / script, control / script)
            (control / script).chmod(0o755)

    # --- Windows --------------------------------------------------------------------------------

    def nsis(self, with_pack: bool = True, compressor: str = "lzma") -> Path:
        """The installer: makensis over the app tree (the Windows bundle on a Windows runner)."""
        tree = self.app(with_pack=with_pack)
        icons = self.icons(self.bundle().parent.parent / "icons")
        key = _digest(
            [str(tree).encode(), self.version.encode(), compressor.encode()]
            + [path.read_bytes() for path in sorted((HERE / "windows").glob("*.nsi"))]
        )
        out = cache_dir() / "nsis" / key / f"Trove-{self.version}-setup.exe"
        if out.is_file():
            return out
        out.parent.mkdir(parents=True, exist_ok=True)
        ico = out.parent / "trove.ico"
        run(
            [str(self.python), str(HERE / "icons.py"), "--ico", str(icons / "256.png"), str(ico)],
        )
        run(
            [
                "makensis",
                "-V2",
                f"-DVERSION={self.version}",
                f"-DSOURCE_DIR={tree}",
                f"-DOUTFILE={out}",
                f"-DICON={ico}",
                f"-DCOMPRESSOR={compressor}",
                str(HERE / "windows" / "trove.nsi"),
            ]
        )
        prune("nsis/*", out.parent)
        return out


def slim(bundle: Path) -> None:
    """Drop debug symbols from the interpreter's library (23 MB of DWARF in some Python builds).

    Only libpython: wheels' own libraries were rewritten by auditwheel, and strip can break those.
    """
    if shutil.which("strip") is None:
        return
    for library in bundle.glob("_internal/libpython3*.so*"):
        run(["strip", "--strip-debug", str(library)])


def deb_arch() -> str:
    return subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()


def _elf_files(tree: Path) -> Iterator[Path]:
    for path in tree.rglob("*"):
        if path.is_file() and not path.is_symlink() and path.suffix not in (".onnx", ".json"):
            with path.open("rb") as stream:
                if stream.read(4) == b"\x7fELF":
                    yield path


def system_libraries(tree: Path) -> set[Path]:
    """Libraries the bundle's ELF files resolve outside the bundle (ldd, which the loader uses).

    A library ldd cannot find, and that the bundle does not carry either, would silently drop out
    of Depends: that is an error (install it on the build machine, e.g. through ./dev setup).
    """
    found: set[Path] = set()
    missing: set[str] = set()
    for path in _elf_files(tree):
        result = subprocess.run(["ldd", str(path)], capture_output=True, text=True)
        for line in result.stdout.splitlines():
            if "=>" not in line:
                continue
            name, target = (part.strip() for part in line.split("=>", 1))
            if target.startswith("not found"):
                missing.add(name)
                continue
            target = target.split("(")[0].strip()
            if target.startswith("/") and not target.startswith(str(tree)):
                found.add(Path(target))
    carried = {path.name for path in tree.rglob("*.so*")}
    if unresolved := sorted(missing - carried):
        raise BuildError(f"libraries neither bundled nor installed: {', '.join(unresolved)}")
    return found


def package_of(library: Path) -> str | None:
    """The Debian package that owns a library file (usr-merged paths tried both ways)."""
    names = {str(library), str(library.resolve())}
    names |= {name.removeprefix("/usr") for name in list(names) if name.startswith("/usr/")}
    for name in sorted(names):
        result = subprocess.run(["dpkg", "-S", name], capture_output=True, text=True)
        if result.returncode == 0:
            return result.stdout.split(":", 1)[0].strip()
    return None


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="packaging/build.py", description=__doc__)
    parser.add_argument("what", choices=("bundle", "app", "deb", "nsis", "macapp"))
    parser.add_argument("--version", default=project_version())
    parser.add_argument("--pack", type=Path, default=default_pack())
    parser.add_argument("--python", type=Path, default=Path(sys.executable))
    parser.add_argument("--no-pack", action="store_true", help="leave the model pack out")
    parser.add_argument("--compress", default="zstd", help="dpkg-deb compressor (xz, zstd, none)")
    # zstd 19, not 9: the .deb is 429 MB instead of 459 (the 450 MB bound of issue 11, with the
    # OCR models of issue 12 added), for about 3 minutes more per build on 2 cores.
    parser.add_argument(
        "--level", type=int, default=19, help="dpkg-deb compression level (xz: at most 9)"
    )
    parser.add_argument("--nsis-compressor", default="lzma", help="lzma (release) or zlib (tests)")
    return parser.parse_args(argv)


def project_version() -> str:
    for line in (ROOT / "pyproject.toml").read_text().splitlines():
        if line.startswith("version"):
            return line.split("=", 1)[1].strip().strip('"')
    return "0.0.0"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    builder = Builder(python=args.python, pack=args.pack.resolve(), version=args.version)
    built: dict[str, str] = {}
    try:
        if args.what == "bundle":
            built["bundle"] = str(builder.bundle())
        elif args.what == "app":
            built["app"] = str(builder.app(with_pack=not args.no_pack))
        elif args.what == "macapp":
            built["macapp"] = str(builder.macapp())
        elif args.what == "deb":
            built["deb"] = str(builder.deb(args.compress, args.level, not args.no_pack))
        else:
            built["nsis"] = str(builder.nsis(not args.no_pack, args.nsis_compressor))
    except BuildError as error:
        sys.stderr.write(f"build failed: {error}\n")
        return 1
    sys.stdout.write(json.dumps(built) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
