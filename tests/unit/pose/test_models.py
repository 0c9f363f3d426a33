"""Tests of pose model provisioning (formcheck.pose.models) and ``formcheck models``.

The offline build runs once per session (``built_bundle``); every other test copies its result
into a temporary ``$FORMCHECK_MODEL_DIR``. Official downloads are faked, never attempted.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from formcheck.cli import main
from formcheck.errors import ModelError
from formcheck.pose import models
from formcheck.pose.models import manifest, sources

REPO = Path(__file__).resolve().parents[3]
REAL_DATA = REPO.parent / "shared" / "data" / "real"
FULL = models.load_manifest()["models"]["full"]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def source_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mediapipe==0.10.21 wheel, downloaded once with pip (from its cache when warm)."""
    return models.download_source_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="session")
def npm_tarball(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The @mediapipe/pose tarball from the npm registry, downloaded once (sha256 checked)."""
    source = models.load_manifest()["sources"]["npm-pose"]
    return models.download_npm_tarball(tmp_path_factory.mktemp("npm"), source)


@pytest.fixture
def sources_dir(
    tmp_path: Path, source_wheel: Path, npm_tarball: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A ``$FORMCHECK_MODEL_SOURCES`` folder holding both source archives (no download)."""
    folder = tmp_path / "sources"
    folder.mkdir()
    for archive in (source_wheel, npm_tarball):
        shutil.copy(archive, folder)
    monkeypatch.setenv(models.SOURCES_DIR_ENV, str(folder))
    return folder


@pytest.fixture(scope="session")
def built_bundle(source_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The offline-built full bundle, built once per session."""
    path = tmp_path_factory.mktemp("built") / FULL["file"]
    path.write_bytes(models.build_offline_bundle(source_wheel))
    return path


@pytest.fixture
def model_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty, isolated model folder; downloads are switched off."""
    folder = tmp_path / "models"
    monkeypatch.setenv(models.MODEL_DIR_ENV, str(folder))
    monkeypatch.setenv(models.OFFLINE_ENV, "1")
    return folder


@pytest.fixture
def ready_dir(model_dir: Path, built_bundle: Path) -> Path:
    """An isolated model folder with the full model provisioned."""
    model_dir.mkdir(parents=True)
    shutil.copyfile(built_bundle, model_dir / FULL["file"])
    return model_dir


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as bundle:
        for name, data in members.items():
            bundle.writestr(name, data)
    return out.getvalue()


def _members(bundle: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(bundle) as archive:
        return {name: archive.read(name) for name in models.BUNDLE_MEMBERS}


class _FakeResponse(io.BytesIO):
    """What ``urllib.request.urlopen`` returns, serving fixed bytes."""

    def __enter__(self) -> _FakeResponse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------- manifest and places


def test_manifest_is_the_package_data_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """One copy: the JSON shipped in the package, read the same from a checkout or installed."""
    shipped = REPO / "formcheck" / "pose" / "models" / manifest.MANIFEST_FILE
    committed = json.loads(shipped.read_text(encoding="utf-8"))
    assert models.load_manifest() == committed
    assert set(committed["models"]) == set(models.MODEL_NAMES)
    assert committed["default"] == models.DEFAULT_MODEL
    assert not (REPO / "models" / manifest.MANIFEST_FILE).exists(), "a second copy"
    monkeypatch.setattr(manifest, "checkout_model_dir", lambda: None)  # as if installed
    assert models.load_manifest() == committed


def test_model_dir_prefers_env_then_checkout_then_user_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(models.MODEL_DIR_ENV, str(tmp_path / "mine"))
    assert models.model_dir() == tmp_path / "mine"
    monkeypatch.delenv(models.MODEL_DIR_ENV)
    assert models.model_dir() == REPO / "models"  # the tests run from a checkout
    monkeypatch.setattr(manifest, "checkout_model_dir", lambda: None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert models.model_dir() == tmp_path / "xdg" / "formcheck" / "models"


def test_make_bundle_is_deterministic_and_aligned() -> None:
    members = {"pose_detector.tflite": b"x" * 1001, "pose_landmarks_detector.tflite": b"y" * 77}
    data = models.make_bundle(members)
    assert data == models.make_bundle(dict(members))
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        assert bundle.namelist() == list(members)
        for info in bundle.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.compress_type == zipfile.ZIP_STORED
    for content in members.values():
        assert data.find(content) % 64 == 0


# --------------------------------------------------------------------------- the offline build


@pytest.mark.model
def test_offline_build_is_deterministic_and_matches_manifest(
    source_wheel: Path, built_bundle: Path
) -> None:
    again = models.build_offline_bundle(source_wheel)
    assert again == built_bundle.read_bytes()
    assert hashlib.sha256(again).hexdigest() == FULL["sha256"]
    assert len(again) == FULL["size"]


@pytest.mark.model
def test_built_bundle_loads_in_pose_landmarker(built_bundle: Path) -> None:
    import mediapipe as mp
    import numpy as np
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(built_bundle)),
        running_mode=vision.RunningMode.IMAGE,
    )
    with vision.PoseLandmarker.create_from_options(options) as landmarker:
        blank = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.zeros((256, 256, 3), np.uint8))
        result = landmarker.detect(blank)
    assert result.pose_landmarks == []


@pytest.mark.model
@pytest.mark.shared
def test_built_bundle_finds_a_person(built_bundle: Path) -> None:
    photos = sorted(REAL_DATA.glob("hip_hinge_*.jpg")) if REAL_DATA.is_dir() else []
    if not photos:
        pytest.skip(f"no photos in {REAL_DATA}")
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(built_bundle)),
        running_mode=vision.RunningMode.IMAGE,
    )
    with vision.PoseLandmarker.create_from_options(options) as landmarker:
        result = landmarker.detect(mp.Image.create_from_file(str(photos[0])))
    assert len(result.pose_landmarks) == 1
    assert len(result.pose_landmarks[0]) == 33


@pytest.mark.model
def test_fetch_full_offline_builds_and_says_so(
    model_dir: Path,
    source_wheel: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def fake_download(folder: Path, source: dict | None = None) -> Path:
        return Path(shutil.copy(source_wheel, folder))

    monkeypatch.setattr(sources, "download_source_wheel", fake_download)
    path = models.resolve_model("full")
    assert path == model_dir / FULL["file"]
    assert models.sha256_file(path) == FULL["sha256"]
    err = capsys.readouterr().err
    assert "building the pose model 'full' offline from mediapipe==0.10.21 (" in err
    assert not (model_dir / models.LOCAL_RECORD).exists()
    umask = os.umask(0o022)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not private, unlike a mkstemp file
    assert not list(model_dir.glob(".*.part"))


# --------------------------------------------------------------------------- errors


CORRUPTIONS = {
    "truncated": lambda good: good[: len(good) // 2],
    "random bytes": lambda good: os.urandom(4096),
    "zip without members": lambda good: _zip({"readme.txt": b"hello"}),
    "members not tflite": lambda good: _zip(dict.fromkeys(models.BUNDLE_MEMBERS, b"garbage!")),
    "changed bytes": lambda good: models.make_bundle(
        {**_zip_members(good), "extra.txt": b"tampered"}
    ),
}


def _zip_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in models.BUNDLE_MEMBERS}


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
def test_corrupt_named_model_raises_with_fix(
    kind: str, ready_dir: Path, built_bundle: Path
) -> None:
    path = ready_dir / FULL["file"]
    path.write_bytes(CORRUPTIONS[kind](built_bundle.read_bytes()))
    with pytest.raises(ModelError, match="formcheck models fetch full --force") as caught:
        models.resolve_model("full")
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    assert any(word in message for word in ("corrupt", "incomplete"))
    status = {row["name"]: row for row in models.model_status()}
    assert status["full"]["status"] == "corrupt"


@pytest.mark.parametrize("kind", ["truncated", "random bytes", "zip without members"])
def test_corrupt_user_path_raises(kind: str, tmp_path: Path, built_bundle: Path) -> None:
    path = tmp_path / "mine.task"
    path.write_bytes(CORRUPTIONS[kind](built_bundle.read_bytes()))
    with pytest.raises(ModelError, match=r"corrupt|incomplete") as caught:
        models.resolve_model(str(path))
    assert str(path) in str(caught.value)


def test_user_path_that_is_a_valid_bundle_resolves(tmp_path: Path, built_bundle: Path) -> None:
    path = tmp_path / "copy.task"
    shutil.copyfile(built_bundle, path)
    assert models.resolve_model(str(path)) == path
    info = models.verify_model(path)
    assert info["name"] is None and info["sha256"] == FULL["sha256"]


def test_missing_user_path_and_unknown_name(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        models.resolve_model(str(tmp_path / "nope.task"))
    with pytest.raises(ModelError, match="unknown pose model 'medium': expected one of lite"):
        models.resolve_model("medium")


def test_missing_model_without_provisioning_names_the_fix(model_dir: Path) -> None:
    with pytest.raises(ModelError, match=r"not provisioned.*run `formcheck models fetch full`"):
        models.resolve_model("full", provision=False)
    with pytest.raises(ModelError, match=r"missing.*formcheck models fetch heavy"):
        models.verify_model("heavy")


@pytest.mark.model
@pytest.mark.parametrize("name", ["lite", "heavy"])
def test_lite_and_heavy_build_offline_from_the_npm_package(
    name: str,
    model_dir: Path,
    sources_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    entry = models.model_entry(name)
    path = models.fetch_model(name, source="offline")
    assert models.sha256_file(path) == entry["sha256"] and path.stat().st_size == entry["size"]
    err = capsys.readouterr().err
    assert f"building the pose model {name!r} offline from mediapipe==0.10.21 and " in err
    assert "@mediapipe/pose@0.5.1675469404" in err
    again = models.build_offline_bundle(models.download_sources(sources_dir, entry["offline"]),
                                        entry["offline"])  # fmt: skip
    assert again == path.read_bytes()  # deterministic
    assert models.verify_model(name, load=True)["origin"].startswith("offline build from")


@pytest.mark.model
def test_offline_lite_finds_a_person(model_dir: Path, sources_dir: Path) -> None:
    photos = sorted(REAL_DATA.glob("hip_hinge_*.jpg")) if REAL_DATA.is_dir() else []
    if not photos:
        pytest.skip(f"no photos in {REAL_DATA}")
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(models.fetch_model("lite"))),
        running_mode=vision.RunningMode.IMAGE,
    )
    with vision.PoseLandmarker.create_from_options(options) as landmarker:
        result = landmarker.detect(mp.Image.create_from_file(str(photos[0])))
    assert len(result.pose_landmarks) == 1


@pytest.mark.model
def test_tampered_source_archive_is_refused_in_one_line(
    model_dir: Path, sources_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tarball = sources_dir / models.load_manifest()["sources"]["npm-pose"]["file"]
    tarball.write_bytes(tarball.read_bytes()[:-10] + b"tampered!!")
    with pytest.raises(ModelError, match=r"sha256 .* refusing to build the pose model") as caught:
        models.fetch_model("heavy", source="offline")
    assert "\n" not in str(caught.value)
    capsys.readouterr()
    assert main(["models", "fetch", "lite"]) == 2  # FORMCHECK_OFFLINE=1: the build only
    notice, error = capsys.readouterr().err.strip().split("\n")
    assert notice.startswith("formcheck: building the pose model 'lite' offline")
    assert error.startswith("formcheck: error:") and "refusing to build" in error
    assert not list(model_dir.glob("*.task"))


def test_unreachable_npm_registry_names_the_workaround(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(models.SOURCES_DIR_ENV, raising=False)
    seen = []

    def refuse(url: str, timeout: float) -> _FakeResponse:
        seen.append(url)
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setenv("npm_config_registry", "https://npm.example.org/mirror/")
    source = models.load_manifest()["sources"]["npm-pose"]
    with pytest.raises(ModelError, match=r"npm.example.org.*FORMCHECK_MODEL_SOURCES"):
        models.download_npm_tarball(tmp_path, source)
    assert seen == ["https://npm.example.org/mirror/@mediapipe/pose/-/pose-0.5.1675469404.tgz"]


def test_failed_download_of_lite_falls_back_to_the_offline_build(
    model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(models.OFFLINE_ENV)
    built = []
    monkeypatch.setattr(
        "formcheck.pose.models.fetch.build_model",
        lambda name, entry, dest: built.append(name) or dest,
    )

    def refuse(url: str, timeout: float) -> _FakeResponse:
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    assert models.fetch_model("lite") == model_dir / "pose_landmarker_lite.task"
    assert built == ["lite"]
    with pytest.raises(ModelError, match=r"download failed.*Name or service.*--source offline"):
        models.fetch_model("heavy", source="official")


def test_download_that_is_not_a_bundle_is_not_saved(
    model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(models.OFFLINE_ENV)
    monkeypatch.setattr(
        urllib.request, "urlopen", lambda url, timeout: _FakeResponse(b"<html>captive portal")
    )
    with pytest.raises(ModelError, match=r"download failed.*is corrupt.*--source offline"):
        models.fetch_model("heavy", source="official")
    assert not (model_dir / "pose_landmarker_heavy.task").exists()


def test_official_download_is_recorded_on_first_use(
    model_dir: Path, built_bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(models.OFFLINE_ENV)
    payload = models.make_bundle({**_members(built_bundle), "note.txt": b"official"})
    calls = []

    def serve(url: str, timeout: float) -> _FakeResponse:
        calls.append((url, timeout))
        return _FakeResponse(payload)

    monkeypatch.setattr(urllib.request, "urlopen", serve)
    path = models.resolve_model("lite")
    assert calls == [(models.load_manifest()["models"]["lite"]["url"], 5.0)]
    record = json.loads((model_dir / models.LOCAL_RECORD).read_text())["models"]["lite"]
    assert record["sha256"] == hashlib.sha256(payload).hexdigest()
    assert record["size"] == len(payload)
    info = models.verify_model("lite")
    assert info["matched"] == "local" and info["origin"].startswith("https://")
    # a later change is caught against the record
    path.write_bytes(models.make_bundle({**_members(built_bundle), "note.txt": b"changed"}))
    with pytest.raises(ModelError, match="does not match the expected"):
        models.resolve_model("lite")


def test_landmarker_load_failure_becomes_model_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.task"
    path.write_bytes(_zip(dict.fromkeys(models.BUNDLE_MEMBERS, b"1234TFL3 not really")))
    with pytest.raises(ModelError, match="MediaPipe could not load the pose model.*--model full"):
        models.check_model_loads(path)


def test_load_error_of_a_provisioned_model_suggests_refetching(model_dir: Path) -> None:
    err = models.model_load_error(model_dir / FULL["file"], RuntimeError("bad\nthings."))
    assert "\n" not in str(err)
    assert "(bad things)" in str(err) and "formcheck models fetch full --force" in str(err)


# --------------------------------------------------------------------------- the CLI


def test_cli_models_show(ready_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "show"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "ready" in lines["full"] and FULL["sha256"][:12] in lines["full"]
    assert "missing" in lines["lite"] and "missing" in lines["heavy"]
    assert str(ready_dir) in out


@pytest.mark.model
def test_cli_models_verify(ready_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "verify", "full"]) == 0
    assert "full: ok" in capsys.readouterr().out
    assert main(["models", "verify"]) == 0  # every model present
    (ready_dir / FULL["file"]).write_bytes(b"not a zip")
    assert main(["models", "verify", "--no-load"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("formcheck: error: pose model") and "fetch full --force" in err


def test_cli_models_show_as_subprocess(ready_dir: Path) -> None:
    env = {**os.environ, models.MODEL_DIR_ENV: str(ready_dir), models.OFFLINE_ENV: "1"}
    done = subprocess.run(
        [sys.executable, "-m", "formcheck", "models", "show"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "ready" in done.stdout and FULL["sha256"][:12] in done.stdout
