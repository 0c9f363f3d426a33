"""Sound on Linux, macOS and Windows (issue 17): sounddevice for tones, pyttsx3 for speech where
they work, the command-line tools as the fallback, silence with one note when nothing plays."""

from __future__ import annotations

import logging
import shutil
import sys
import threading
import types

import numpy as np
import pytest

from formcheck.live import voices
from formcheck.live.audio import make_audio
from formcheck.live.voices import PortableAudio, Pyttsx3Speech, SoundDeviceTones


class FakeSd:
    def __init__(self):
        self.played = []

    def query_devices(self, kind=None):
        return {"name": "fake out"}

    def play(self, data, rate):
        self.played.append((data, rate))

    def stop(self):
        pass


class FakeEngine:
    def __init__(self, log):
        self.log = log

    def say(self, text):
        self.log.append(text)

    def runAndWait(self):  # noqa: N802 - pyttsx3's name
        pass


def test_sounddevice_plays_tones_when_it_has_an_output(monkeypatch):
    sd = FakeSd()
    monkeypatch.setitem(sys.modules, "sounddevice", sd)
    tones = SoundDeviceTones.open()
    assert tones is not None
    assert tones.play("complete") is True
    data, rate = sd.played[0]
    assert rate == voices.RATE and data.dtype == np.float32 and 0.3 < np.abs(data).max() <= 0.5


def test_sounddevice_without_portaudio_is_not_used(monkeypatch):
    class NoPortAudio(types.ModuleType):
        def __getattr__(self, name):
            raise OSError("PortAudio library not found")

    monkeypatch.setitem(sys.modules, "sounddevice", NoPortAudio("sounddevice"))
    assert SoundDeviceTones.open() is None


def test_pyttsx3_speaks_on_its_own_thread_one_at_a_time():
    said: list[str] = []
    started = threading.Event()

    class SlowEngine(FakeEngine):
        def runAndWait(self):  # noqa: N802
            started.set()

    speech = Pyttsx3Speech(lambda: SlowEngine(said))
    assert speech.error is None
    assert speech.say("Rest") is True
    started.wait(2)
    speech.close()
    assert said == ["Rest"]


def test_pyttsx3_engine_that_fails_is_not_used():
    def broken():
        raise RuntimeError("no espeak library")

    speech = Pyttsx3Speech(broken)
    assert isinstance(speech.error, RuntimeError)
    assert speech.say("x") is False
    speech.close()


def test_portable_audio_prefers_the_libraries(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    sd = FakeSd()
    said: list[str] = []
    audio = PortableAudio(
        tones=SoundDeviceTones(sd), speech=Pyttsx3Speech(lambda: FakeEngine(said)), platform="win32"
    )
    assert audio.tone("warning") is True and sd.played
    assert audio.say("Switch legs") is True
    audio.close()
    assert said == ["Switch legs"]
    assert audio.describe() == "tones sounddevice, speech pyttsx3"


def test_portable_audio_falls_back_to_the_tools(monkeypatch):
    monkeypatch.setattr(
        shutil, "which", lambda name: f"/usr/bin/{name}" if name in ("espeak-ng", "aplay") else None
    )
    audio = PortableAudio(tones=None, speech=None, platform="linux")
    assert audio.describe() == "tones /usr/bin/aplay, speech /usr/bin/espeak-ng"
    assert audio.silent is False
    audio.close()


def test_macos_uses_say_before_pyttsx3(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/say" if name == "say" else None)
    monkeypatch.setattr(Pyttsx3Speech, "open", classmethod(lambda cls: pytest.fail("not on macOS")))
    audio = PortableAudio(tones=None, speech=True, platform="darwin")
    assert audio.speech_lib is None and audio.fallback.speaker == "/usr/bin/say"
    audio.close()


def test_nothing_to_play_is_silent_with_one_note(monkeypatch, caplog):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(SoundDeviceTones, "open", classmethod(lambda cls: None))
    monkeypatch.setattr(Pyttsx3Speech, "open", classmethod(lambda cls: None))
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    with caplog.at_level(logging.WARNING, logger="formcheck.live.voices"):
        audio = make_audio(mute=False)
    assert isinstance(audio, PortableAudio) and audio.silent
    notes = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(notes) == 1 and "runs silent" in notes[0].getMessage()
    assert audio.say("Rest") is False and audio.tone("warning") is False
    audio.close()
