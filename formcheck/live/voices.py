"""Sound on Linux, macOS and Windows: the libraries first, the command-line tools for the rest.

- Tones: :class:`SoundDeviceTones` (``sounddevice``, PortAudio: bundled in the macOS and Windows
  wheels; on Linux it needs ``libportaudio2``), else ``aplay``/``paplay``/``afplay``, else the
  terminal bell.
- Speech: :class:`Pyttsx3Speech` (``pyttsx3``, the optional ``voice`` extra: SAPI5 on Windows,
  NSSpeechSynthesizer on macOS, espeak on Linux) on a thread of its own, else ``espeak-ng`` /
  ``espeak`` / macOS's ``say``. On macOS ``say`` is tried first: it is always there and does not
  need the main thread's run loop, which NSSpeechSynthesizer wants.
- Nothing that can play: the session runs silent, and one warning says so and what to install.

:class:`PortableAudio` puts them together behind the :class:`~formcheck.live.audio.AudioBackend`
interface (``tone``, ``say``, ``close``; both return at once).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import sys
import threading
from typing import Any

import numpy as np

from formcheck.live.audio import SPEAKERS, TONES, SystemAudio, _first_tool, tone_samples

log = logging.getLogger(__name__)

RATE = 22050
SILENT_NOTE = (
    "audio: nothing can play sound here (no sounddevice/PortAudio output, no pyttsx3, no "
    "espeak-ng, aplay or paplay); the session runs silent. Install espeak-ng and alsa-utils "
    "(Linux), or `pip install 'formcheck[voice]'`"
)


class SoundDeviceTones:
    """Tones through ``sounddevice`` (non-blocking ``play``; a new tone cuts the previous)."""

    def __init__(self, sd: Any) -> None:
        self.sd = sd
        self._pcm: dict[str, np.ndarray] = {}

    @classmethod
    def open(cls) -> SoundDeviceTones | None:
        """The tone player, or None when sounddevice, PortAudio or an output device is missing."""
        try:
            import sounddevice as sd

            sd.query_devices(kind="output")  # raises when there is no output device
        except Exception as err:  # ImportError, OSError (no PortAudio), PortAudioError
            log.debug("sounddevice unavailable: %s", err)
            return None
        return cls(sd)

    def play(self, kind: str) -> bool:
        if kind not in self._pcm:
            notes = TONES.get(kind, TONES["warning"])
            self._pcm[kind] = tone_samples(notes, RATE).astype(np.float32)
        try:
            self.sd.play(self._pcm[kind], RATE)
        except Exception as err:  # a device that went away: say nothing, play nothing
            log.debug("sounddevice play failed: %s", err)
            return False
        return True

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing anyway
            self.sd.stop()


class Pyttsx3Speech:
    """Speech through ``pyttsx3`` on a worker thread (its ``runAndWait`` blocks): one utterance
    at a time; a prompt that arrives while one is spoken is not started (``say`` -> False)."""

    def __init__(self, init: Any, *, ready_s: float = 3.0) -> None:
        self._q: queue.Queue[str | None] = queue.Queue()
        self._busy = threading.Event()
        self._ready = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(init,), name="formcheck-speech", daemon=True
        )
        self._thread.start()
        self._ready.wait(ready_s)
        if not self._ready.is_set() and self.error is None:
            self.error = TimeoutError(f"pyttsx3 did not start within {ready_s:g} s")

    @classmethod
    def open(cls) -> Pyttsx3Speech | None:
        """The speaker, or None when pyttsx3 is not installed or its engine does not start."""
        try:
            import pyttsx3
        except ImportError:
            return None
        speech = cls(pyttsx3.init)
        if speech.error is not None:
            log.debug("pyttsx3 unavailable: %s", speech.error)
            speech.close()
            return None
        return speech

    def _run(self, init: Any) -> None:
        try:
            engine = init()
        except Exception as err:  # no driver (no libespeak on Linux, ...)
            self.error = err
            return
        finally:
            self._ready.set()
        while (text := self._q.get()) is not None:
            try:
                engine.say(text)
                engine.runAndWait()
            except Exception as err:
                log.debug("pyttsx3 failed: %s", err)
            finally:
                self._busy.clear()

    def say(self, text: str) -> bool:
        if not text or self.error is not None or self._busy.is_set():
            return False
        self._busy.set()
        self._q.put(text)
        return True

    def close(self) -> None:
        self._q.put(None)
        self._thread.join(timeout=2.0)


class PortableAudio:
    """The live session's sound on any platform (see the module's docstring)."""

    def __init__(
        self,
        *,
        tones: SoundDeviceTones | None | bool = True,
        speech: Pyttsx3Speech | None | bool = True,
        platform: str | None = None,
    ) -> None:
        platform = sys.platform if platform is None else platform
        self.tones_lib = SoundDeviceTones.open() if tones is True else (tones or None)
        fallback_first = platform == "darwin" and _first_tool(SPEAKERS) is not None
        if speech is True:
            self.speech_lib = None if fallback_first else Pyttsx3Speech.open()
        else:
            self.speech_lib = speech or None
        self.fallback = SystemAudio(speech=self.speech_lib is None, tones=self.tones_lib is None)
        self.silent = (
            self.tones_lib is None
            and self.speech_lib is None
            and self.fallback.speaker is None
            and self.fallback.player is None
        )
        if self.silent:
            log.warning(SILENT_NOTE)
        log.info("audio: %s", self.describe())

    def describe(self) -> str:
        """``"tones sounddevice, speech espeak-ng"``: what plays what."""
        tones = "sounddevice" if self.tones_lib else (self.fallback.player or "terminal bell")
        speech = "pyttsx3" if self.speech_lib else (self.fallback.speaker or "none")
        return f"tones {tones}, speech {speech}"

    def tone(self, kind: str) -> bool:
        if self.tones_lib is not None:
            return self.tones_lib.play(kind)
        return self.fallback.tone(kind)

    def say(self, text: str) -> bool:
        if self.speech_lib is not None:
            return self.speech_lib.say(text)
        return self.fallback.say(text)

    def close(self) -> None:
        if self.tones_lib is not None:
            self.tones_lib.close()
        if self.speech_lib is not None:
            self.speech_lib.close()
        self.fallback.close()
