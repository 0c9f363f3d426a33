"""``formcheck analyze`` uses no network: MediaPipe's usage reports are off (docs/privacy.md).

The mediapipe 1.x wheels post usage reports to ``play.googleapis.com`` when a landmarker closes
(and once a minute while it runs): a DNS look-up and an HTTPS request. formcheck switches that off
(:func:`formcheck.stop_mediapipe_usage_logging`, called before a landmarker is created). Here
``formcheck analyze`` runs as a user runs it (a subprocess), under ``strace -f -e trace=network``,
on a photo and on a short video; the trace must hold no internet socket (``AF_INET``,
``AF_INET6``) and no ``connect``/``sendto``/``bind`` to an internet address, hence no DNS look-up
either. Local ``AF_UNIX`` sockets are fine. Skipped when strace is missing or may not trace
(ptrace not permitted, as in some containers).

Only ``formcheck models fetch`` may use the network.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, sample, sample_clip

#: any syscall line with an internet socket: created, or addressed (connect, sendto, bind...)
_INTERNET = re.compile(r"\bsocket(pair)?\(AF_INET6?\b|sa_family=AF_INET6?\b")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["FORMCHECK_OFFLINE"] = "1"
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.fixture(scope="module")
def strace() -> str:
    exe = shutil.which("strace")
    if exe is None:
        pytest.skip("strace is not installed (Debian: apt-get install strace)")
    probe = subprocess.run(
        [exe, "-o", os.devnull, "true"], capture_output=True, text=True, timeout=60, check=False
    )
    if probe.returncode != 0:
        why = (probe.stderr.strip().splitlines() or [f"exit code {probe.returncode}"])[-1]
        pytest.skip(f"strace cannot trace here (ptrace not permitted?): {why}")
    return exe


def _analyze_traced(strace: str, media: Path, tmp_path: Path) -> list[str]:
    """Run ``formcheck analyze MEDIA`` under strace; the network syscalls it made."""
    trace = tmp_path / "strace.txt"
    out = tmp_path / "out"
    command = [
        strace, "-f", "-qq", "-e", "signal=none", "-e", "trace=network", "-o", str(trace),
        sys.executable, "-m", "formcheck", "analyze", str(media), "--out", str(out),
        "--no-history", "--no-progress",
    ]  # fmt: skip
    proc = subprocess.run(
        command, cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert (out / f"{media.stem}.json").is_file(), proc.stdout
    return trace.read_text().splitlines()


def _internet(lines: list[str]) -> list[str]:
    return [line for line in lines if _INTERNET.search(line)]


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["photo", "video"])
def test_analyze_opens_no_internet_socket(kind: str, strace: str, tmp_path: Path) -> None:
    media = (
        sample("standing_fold.jpg")
        if kind == "photo"
        else sample_clip("standing_fold_good", tmp_path / "short.mp4", 45)
    )
    lines = _analyze_traced(strace, media, tmp_path)
    offending = _internet(lines)
    assert not offending, (
        f"`formcheck analyze` on a {kind} used the network (MediaPipe's usage reports to "
        "play.googleapis.com are back? see docs/privacy.md):\n" + "\n".join(offending[:20])
    )
    connects = [line for line in lines if re.search(r"\bconnect\(", line)]
    assert all("sa_family=AF_UNIX" in line for line in connects), connects


def test_internet_lines_are_recognised() -> None:
    """The pattern catches what MediaPipe's reports looked like before they were switched off."""
    seen = [
        "4 socket(AF_INET, SOCK_DGRAM, IPPROTO_IP) = 5",
        "7 socket(AF_INET6, SOCK_DGRAM, IPPROTO_IP <unfinished ...>",
        '7 connect(6, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.53")}, 16) = 0',
        '7 sendto(6, "x", 1, 0, {sa_family=AF_INET6, sin6_port=htons(443)}, 28) = 1',
    ]
    fine = [
        "7 socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0) = 6",
        '7 connect(6, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT',
        "7 socketpair(AF_UNIX, SOCK_STREAM, 0, [3, 4]) = 0",
    ]
    assert _internet(seen) == seen
    assert _internet(fine) == []


@pytest.mark.model
@pytest.mark.slow
def test_analyze_works_without_any_network(tmp_path: Path) -> None:
    """In a network namespace with no interface at all, a photo is analysed as usual."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare (util-linux) is not installed")
    probe = subprocess.run(
        [unshare, "-rn", "true"], capture_output=True, text=True, timeout=60, check=False
    )
    if probe.returncode != 0:
        why = (probe.stderr.strip().splitlines() or [f"exit code {probe.returncode}"])[-1]
        pytest.skip(f"no unprivileged network namespaces here: {why}")
    photo = sample("standing_fold.jpg")
    command = [
        unshare, "-rn", sys.executable, "-m", "formcheck", "analyze", str(photo),
        "--out", str(tmp_path / "out"), "--no-history", "--no-progress",
    ]  # fmt: skip
    proc = subprocess.run(
        command, cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert (tmp_path / "out" / "standing_fold.json").is_file()
