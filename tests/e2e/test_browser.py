"""The report and history pages in a real browser (headless Chromium).

Needs Debian's ``chromium`` package (``apt-get install -y chromium``); the test set-up of this
project installs it (see docs/report.md). Skipped, with the reason, when /usr/bin/chromium is
absent. Screenshots are kept in ``artifacts/`` (git-ignored); with
``FORMCHECK_UPDATE_DOC_IMAGES=1`` they also refresh ``docs/img/report.png`` and
``docs/img/history.png`` (palette PNGs, kept under 300 KB).

Method: a copy of each page gets a probe script at the top of ``<head>`` that records
``error`` / ``unhandledrejection`` events, ``console.error`` calls and images that failed to
load, and writes them into ``data-`` attributes of ``<html>`` on ``load``; ``--dump-dom`` then
prints the DOM after the load event. The shipped pages carry no script of their own.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from formcheck.history import store as history
from formcheck.history.page import write_history_html
from formcheck.report.page import write_html_report
from tests.fixtures_reports import make_history_reports, make_report

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"

PROBE = """<script>
(function(){var errs=[];
window.addEventListener('error',function(e){errs.push('error: '+(e.message||(e.target&&
 (e.target.src||e.target.tagName))||'?'));},true);
window.addEventListener('unhandledrejection',function(e){errs.push('rejection: '+e.reason);});
var ce=console.error;console.error=function(){errs.push('console: '+
 Array.prototype.join.call(arguments,' '));ce.apply(console,arguments);};
window.addEventListener('load',function(){
 var imgs=document.images,bad=0;for(var i=0;i<imgs.length;i++){
  if(!imgs[i].complete||imgs[i].naturalWidth===0)bad++;}
 var d=document.documentElement;d.setAttribute('data-probe','loaded');
 d.setAttribute('data-errors',String(errs.length));
 d.setAttribute('data-error-text',errs.join(' | '));
 d.setAttribute('data-images',String(imgs.length));d.setAttribute('data-bad-images',String(bad));
 d.setAttribute('data-svgs',String(document.querySelectorAll('svg').length));
 d.setAttribute('data-height',String(document.body.scrollHeight));});
})();
</script>"""


def _chromium(*args: str, user_dir: Path) -> subprocess.CompletedProcess:
    cmd = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={user_dir}",
        "--enable-logging=stderr",
        "--v=0",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def browser_dir(tmp_path_factory) -> Path:
    if not CHROMIUM.exists():
        pytest.skip("headless Chromium not installed (/usr/bin/chromium): apt-get install chromium")
    return tmp_path_factory.mktemp("chromium")


def _check_page(page: Path, browser_dir: Path, screenshot: Path) -> dict[str, str]:
    """Load ``page`` with the probe; returns the probe's findings plus ``console`` (the console
    errors chromium logged to stderr), and takes a full-page screenshot."""
    probed = browser_dir / f"probe-{page.name}"
    text = page.read_text(encoding="utf-8")
    probed.write_text(text.replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    run = _chromium(
        "--virtual-time-budget=5000", "--dump-dom", probed.as_uri(), user_dir=browser_dir / "dom"
    )
    html = run.stdout
    m = re.search(r"<html([^>]*)>", html)
    assert m, f"chromium printed no DOM (rc {run.returncode}): {run.stderr[-2000:]}"
    attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', m.group(1)))
    console = [
        ln for ln in run.stderr.splitlines() if ":CONSOLE" in ln and re.search("error", ln, re.I)
    ]
    attrs["console"] = " | ".join(console)

    height = min(12000, max(1200, int(attrs.get("height", "2000")) + 40))
    shot = _chromium(
        f"--screenshot={screenshot}",
        f"--window-size=1280,{height}",
        page.as_uri(),
        user_dir=browser_dir / "shot",
    )
    assert screenshot.exists() and screenshot.stat().st_size > 1_000, shot.stderr[-2000:]
    return attrs


def _doc_image(src: Path, dest: Path, height: int) -> None:
    """A palette PNG of the top ``height`` pixels of ``src`` (needs Pillow, a dev tool)."""
    from PIL import Image

    with Image.open(src) as im:
        im = im.convert("RGB").crop((0, 0, im.width, min(height, im.height)))
        im = im.quantize(colors=160, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        dest.parent.mkdir(parents=True, exist_ok=True)
        im.save(dest, optimize=True)
    assert dest.stat().st_size < 300_000, f"{dest} is {dest.stat().st_size} bytes"


def test_report_page_renders_without_errors(browser_dir: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = write_html_report(
        make_report(source_path="<script>alert(1)</script>.mp4"), ARTIFACTS / "report.html"
    )
    attrs = _check_page(page, browser_dir, ARTIFACTS / "report.png")
    assert attrs["probe"] == "loaded", "the page did not finish loading"
    assert attrs["errors"] == "0", attrs["error-text"]
    assert not attrs["console"], attrs["console"]
    assert int(attrs["images"]) >= 4 and attrs["bad-images"] == "0"
    assert int(attrs["svgs"]) >= 4
    if os.environ.get("FORMCHECK_UPDATE_DOC_IMAGES") == "1":
        _doc_image(ARTIFACTS / "report.png", ROOT / "docs" / "img" / "report.png", 2700)


def test_history_page_renders_without_errors(browser_dir: Path, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    conn = history.open_db(tmp_path / "h.sqlite3")
    for r in make_history_reports(14, today="2025-03-14"):
        history.import_report(conn, r)
    page = write_history_html(
        conn,
        ARTIFACTS / "history.html",
        today=dt.date(2025, 3, 14),
        db_label="~/.local/share/formcheck/history.sqlite3",
    )
    conn.close()
    attrs = _check_page(page, browser_dir, ARTIFACTS / "history.png")
    assert attrs["probe"] == "loaded"
    assert attrs["errors"] == "0", attrs["error-text"]
    assert not attrs["console"], attrs["console"]
    assert int(attrs["svgs"]) >= 5
    if os.environ.get("FORMCHECK_UPDATE_DOC_IMAGES") == "1":
        _doc_image(ARTIFACTS / "history.png", ROOT / "docs" / "img" / "history.png", 2300)


def test_probe_catches_errors(browser_dir: Path, tmp_path: Path) -> None:
    """The method works: a page with a broken image and a script error is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><head><title>x</title></head><body>"
        '<img src="data:image/png;base64,AAAA"><script>nope();</script></body></html>'
    )
    attrs = _check_page(bad, browser_dir, tmp_path / "bad.png")
    assert attrs["errors"] != "0" and attrs["bad-images"] == "1"
    assert "nope is not defined" in attrs["console"]
    shutil.rmtree(browser_dir / "dom", ignore_errors=True)
