"""``retail-lake report`` opened in a real headless Chromium.

The page is rendered by the browser from the Debian ``chromium`` package, with no
network: the DOM after the scripts ran must hold every plotly chart of the page, and a
screenshot must not be blank. The PNG is decoded with zlib and struct so the test
needs no imaging library.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

from retail_lake.report import CHART_TITLES
from tests.small_lake import small_lake  # noqa: F401  (the shared session fixture)

CHART_COUNT = len(CHART_TITLES)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--virtual-time-budget=10000",
]


def chromium_binary() -> str:
    """The Chromium executable; installed from the OS packages when missing and root."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
            check=True,
            env=env,
            capture_output=True,
        )
        found = shutil.which("chromium")
        if found:
            return found
    pytest.fail(
        "Chromium is needed to check that the report renders: install the Debian package "
        "`chromium` (sudo apt-get install chromium), or run `make test` as root"
    )


def run_chromium(args: list[str], profile: Path, timeout: int = 180) -> subprocess.CompletedProcess:
    """One headless Chromium run with a fresh profile, so no state leaks between runs."""
    command = [chromium_binary(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def png_pixels(data: bytes) -> np.ndarray:
    """The RGB pixels (height x width x 3) of an 8-bit, non-interlaced RGB/RGBA PNG.

    Chromium's screenshots are such PNGs. Rows filtered with None, Sub or Up (nearly
    all of them) are undone with numpy; Average and Paeth rows byte by byte.
    """
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, chunks, header = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    assert header is not None, "no IHDR chunk"
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    channels = 3 if colour == 2 else 4
    stride = width * channels
    raw = np.frombuffer(zlib.decompress(b"".join(chunks)), dtype=np.uint8)
    raw = raw.reshape(height, stride + 1)
    out = np.zeros((height, stride), dtype=np.uint8)
    previous = np.zeros(stride, dtype=np.uint8)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:]
        if kind == 0:
            row = line.copy()
        elif kind == 1:
            sums = np.cumsum(line.reshape(width, channels).astype(np.int64), axis=0)
            row = (sums % 256).astype(np.uint8).reshape(stride)
        elif kind == 2:
            row = line + previous  # uint8 arithmetic wraps modulo 256, as PNG wants
        else:
            row = bytearray(line.tobytes())
            up_row = previous.tobytes()
            for x in range(stride):
                left = row[x - channels] if x >= channels else 0
                up = up_row[x]
                up_left = up_row[x - channels] if x >= channels else 0
                if kind == 3:
                    pred = (left + up) // 2
                else:
                    p = left + up - up_left
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                    pred = left if pa <= pb and pa <= pc else up if pb <= pc else up_left
                row[x] = (row[x] + pred) & 0xFF
            row = np.frombuffer(bytes(row), dtype=np.uint8)
        out[y] = row
        previous = out[y]
    return out.reshape(height, width, channels)[:, :, :3]


def coloured_share(pixels: np.ndarray) -> float:
    """Share of pixels that are clearly not white/grey background (chart ink, bars, lines)."""
    wide = pixels.astype(np.int16)
    spread = wide.max(axis=2) - wide.min(axis=2)
    dark = wide.max(axis=2) < 120
    return float(((spread > 40) | dark).mean())


@pytest.fixture(scope="module")
def report_html(small_lake: Path, tmp_path_factory) -> Path:  # noqa: F811
    from retail_lake.config import build_settings
    from retail_lake.report import write_report

    out = tmp_path_factory.mktemp("report") / "report.html"
    write_report(build_settings({"lake": str(small_lake)}, env={}), out)
    return out


@pytest.mark.spark
def test_report_is_self_contained(report_html: Path):
    text = report_html.read_text(encoding="utf-8")
    assert text.count("Plotly.newPlot") == CHART_COUNT
    # plotly.js is inlined exactly once and the page loads nothing from the network
    # (the bundle itself mentions its CDN, for geo maps this report does not draw).
    assert text.count("plotly.js v") == 1
    assert not re.search(r"<(script|link|img)[^>]+(src|href)\s*=", text)


@pytest.mark.spark
def test_report_renders_in_chromium(report_html: Path, tmp_path: Path):
    url = report_html.resolve().as_uri()
    dom = run_chromium(["--dump-dom", url], tmp_path / "profile-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count('class="plot-container plotly"') == CHART_COUNT, dom.stdout[:2000]
    assert dom.stdout.count('class="main-svg"') >= CHART_COUNT
    # Each chart drew its traces: bars or lines exist inside the SVGs.
    assert dom.stdout.count('class="trace ') >= CHART_COUNT

    shot = tmp_path / "report.png"
    run = run_chromium(
        [f"--screenshot={shot}", "--window-size=1400,1800", url], tmp_path / "profile-shot"
    )
    assert run.returncode == 0 and shot.exists(), run.stderr[-2000:]
    pixels = png_pixels(shot.read_bytes())
    assert pixels.shape == (1800, 1400, 3)
    share = coloured_share(pixels)
    assert share > 0.01, f"the screenshot is blank ({share:.4%} coloured pixels)"
