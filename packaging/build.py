"""Builds this platform's bundle with its PyInstaller recipe and packs it:
``dist/practice-desk/`` and ``dist/practice-desk-VERSION-OS-ARCH.tar.gz`` (a
.zip on Windows and macOS). On Linux the folder also gets the desktop entry,
the icons and install.sh. `make package` runs this; so does the bundle test."""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import __version__  # noqa: E402

RECIPES = {"linux": "linux.spec", "win32": "windows.spec", "darwin": "macos.spec"}
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def build(dist: Path, work: Path) -> Path:
    import PyInstaller.__main__

    recipe = RECIPES.get(sys.platform)
    if recipe is None:
        sys.exit(f"No bundle recipe for {sys.platform}.")
    PyInstaller.__main__.run([str(ROOT / "packaging" / recipe), "--noconfirm", "--clean",
                              "--log-level", "WARN", "--distpath", str(dist),
                              "--workpath", str(work)])
    return dist / "practice-desk"


def add_desktop_files(folder: Path) -> None:
    """The menu entry, the icon theme's sizes and the installer, beside the program."""
    share = folder / "share"
    (share / "applications").mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "packaging" / "practice-desk.desktop", share / "applications")
    icons = ROOT / "resources" / "icons"
    for size in SIZES:
        apps = share / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        apps.mkdir(parents=True, exist_ok=True)
        shutil.copy2(icons / f"practice-desk-{size}.png", apps / "practice-desk.png")
    scalable = share / "icons" / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True, exist_ok=True)
    shutil.copy2(icons / "practice-desk.svg", scalable)
    shutil.copy2(ROOT / "packaging" / "install.sh", folder / "install.sh")


def archive(folder: Path) -> Path:
    system = {"linux": "linux", "win32": "windows", "darwin": "macos"}[sys.platform]
    stem = f"practice-desk-{__version__}-{system}-{platform.machine().lower()}"
    if sys.platform == "linux":
        path = folder.parent / f"{stem}.tar.gz"
        with tarfile.open(path, "w:gz") as tar:  # keeps modes and symbolic links
            tar.add(folder, arcname=folder.name)
        return path
    made = shutil.make_archive(str(folder.parent / stem), "zip", folder.parent, folder.name)
    return Path(made)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dist", type=Path, default=ROOT / "dist",
                        help="where the bundle and its archive go (default: dist/)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller",
                        help="PyInstaller's scratch folder")
    parser.add_argument("--no-archive", action="store_true",
                        help="leave the folder unpacked only")
    args = parser.parse_args()
    folder = build(args.dist.resolve(), args.work.resolve())
    if sys.platform == "linux":
        add_desktop_files(folder)
    print(f"bundle: {folder}")
    if not args.no_archive:
        print(f"archive: {archive(folder)}")


if __name__ == "__main__":
    main()
