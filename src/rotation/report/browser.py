"""A full-page PNG of a report, taken by headless Chromium (the Debian ``chromium`` package).

Optional: nothing else in the report needs a browser. Chromium's ``--screenshot`` captures
the window, so the window is made taller than any report and the empty page background below
the footer is cropped away.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from rotation._atomic import write_file
from rotation.errors import RotationError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Flags that keep a headless run local and quiet: no sandbox (root in containers), no GPU, no
# network side traffic (QUIC, component updates, sync), and a fresh profile every time.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
PAGE_BACKGROUND = (0xF5, 0xF6, 0xF8)


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome binary: ``$ROTATION_CHROMIUM``, else the first on PATH."""
    configured = os.environ.get("ROTATION_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def screenshot(
    html_path: str | Path,
    png_path: str | Path | None = None,
    *,
    width: int = 1280,
    max_height: int = 16000,
    timeout: float = 120.0,
) -> Path:
    """Render ``html_path`` in headless Chromium and save a full-page PNG (default: beside it,
    ``report.png``); return the PNG's path. Raises ``RotationError`` without Chromium."""
    png_path = Path(png_path) if png_path else Path(html_path).with_suffix(".png")
    html_path = Path(html_path).resolve()
    binary = find_chromium()
    if binary is None:
        raise RotationError(
            "no Chromium found for the screenshot (install the Debian package `chromium`, "
            "or set ROTATION_CHROMIUM to a Chrome binary)"
        )
    with tempfile.TemporaryDirectory(prefix="rotation-chromium-") as profile:
        # Chromium writes into this private folder; the PNG then goes to ``png_path`` through
        # the one atomic writer, which replaces whatever is there (a symbolic link included)
        # and never writes through it
        shot = Path(profile) / "screenshot.png"
        command = [
            binary,
            *FLAGS,
            f"--user-data-dir={Path(profile) / 'profile'}",
            f"--window-size={width},{max_height}",
            "--virtual-time-budget=20000",
            f"--screenshot={shot}",
            html_path.as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as exc:
            message = f"Chromium ({binary}) failed to render {html_path}: {exc}"
            raise RotationError(message) from None
        if not shot.is_file():
            tail = (done.stderr or "").strip().splitlines()[-3:]
            raise RotationError(f"Chromium wrote no screenshot of {html_path}: {' / '.join(tail)}")
        _crop_bottom(shot)
        try:
            write_file(png_path, shot.read_bytes())
        except OSError as exc:
            raise RotationError(f"cannot write {png_path}: {exc.strerror or exc}") from None
    return png_path


def _crop_bottom(png_path: Path, margin: int = 8) -> None:
    """Cut the rows of plain page background below the content."""
    from PIL import Image, ImageChops

    with Image.open(png_path) as image:
        rgb = image.convert("RGB")
    background = Image.new("RGB", rgb.size, PAGE_BACKGROUND)
    box = ImageChops.difference(rgb, background).getbbox()
    if box is None:
        return
    bottom = min(rgb.height, box[3] + margin)
    if bottom < rgb.height:
        rgb.crop((0, 0, rgb.width, bottom)).save(png_path)
