"""Tests of the live session's audio cues: when tones and prompts fire, and the system
backend's tools (faked), without playing a sound."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from formcheck.live.audio import AudioCues, NullAudio, RecordingAudio, SystemAudio, write_tone_wav


def test_audio_cues_fire_on_new_back_rounding_and_completed_holds() -> None:
    rec = RecordingAudio()
    cues = AudioCues(rec, repeat_s=4.0, min_gap_s=1.0)
    cues.update(("back_rounding",), False, None, now_s=0.0)
    cues.update(("back_rounding",), False, None, now_s=0.1)  # still the same warning
    cues.update((), True, None, now_s=0.2)
    assert rec.events == [("tone", "warning"), ("tone", "complete")]


def test_audio_prompts_are_spoken_on_change_and_rate_limited() -> None:
    rec = RecordingAudio()
    cues = AudioCues(rec, repeat_s=4.0, min_gap_s=1.0)
    said = lambda: [d for k, d in rec.events if k == "say"]  # noqa: E731
    cues.update(prompt="Straighten your knee", now_s=0.0)
    cues.update(prompt="Straighten your knee", now_s=0.5)  # same prompt still on screen
    assert said() == ["Straighten your knee"]
    cues.update(prompt="Don't bounce", now_s=0.6)  # too soon after the last utterance
    assert said() == ["Straighten your knee"]
    cues.update(prompt="Don't bounce", now_s=1.2)  # still on screen: spoken now
    cues.update(prompt="Straighten your knee", now_s=2.5)  # flicker back within 4 s: not again
    assert said() == ["Straighten your knee", "Don't bounce"]
    cues.update(prompt="Straighten your knee", now_s=4.1)  # 4 s later and still shown
    assert said() == ["Straighten your knee", "Don't bounce", "Straighten your knee"]
    cues.muted = True
    cues.update(prompt="Rest", now_s=10.0)
    assert said()[-1] == "Straighten your knee"


def test_system_audio_is_silent_without_tools(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    audio = SystemAudio()
    assert audio.say("Rest") is False
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert audio.tone("warning") is False
    audio.close()
    assert NullAudio().say("x") is False
    wav = write_tone_wav(tmp_path / "t.wav", ((440.0, 0.1), (0.0, 0.05)))
    import wave

    with wave.open(str(wav)) as w:
        assert w.getframerate() == 22050 and w.getnframes() == int(22050 * 0.1) + int(22050 * 0.05)


def test_system_audio_spawns_players_in_the_background(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[list[str]] = []

    class FakePopen:
        def __init__(self, cmd: list[str], **kw: object) -> None:
            calls.append(cmd)

        def poll(self) -> int | None:
            return None  # still playing

        def wait(self, timeout: float | None = None) -> int:
            return 0

    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(subprocess, "Popen", FakePopen)
    audio = SystemAudio()
    assert audio.say("Rest") is True
    assert audio.say("Switch legs") is False  # the previous prompt is still being spoken
    assert audio.tone("complete") is True
    audio.close()
    assert calls[0][0] == "/usr/bin/espeak-ng" and calls[0][-1] == "Rest"
    assert calls[1][:2] == ["/usr/bin/aplay", "-q"] and calls[1][2].endswith("complete.wav")
