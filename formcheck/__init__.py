"""formcheck: a computer-vision form checker for hamstring stretches.

Data flows one way: source -> pose -> metrics -> rules/timer -> (overlay | report | history).
See docs/architecture.md.
"""

import os as _os

__version__ = "0.1.0"

# OpenCV's FFmpeg backend and MediaPipe print native log lines (e.g. "moov atom not found")
# that a user cannot act on; formcheck says what went wrong in one line of its own instead.
# FORMCHECK_NATIVE_LOGS=1 keeps them, for debugging.
#: the variables set here (not those the user set), undone by ``formcheck -v``
QUIET_ENV_SET: dict[str, str] = {}
if _os.environ.get("FORMCHECK_NATIVE_LOGS") != "1":
    for _key, _value in (
        ("OPENCV_LOG_LEVEL", "OFF"),
        ("OPENCV_FFMPEG_LOGLEVEL", "-8"),
        ("GLOG_minloglevel", "2"),
    ):
        if _key not in _os.environ:
            _os.environ[_key] = QUIET_ENV_SET[_key] = _value

# Privacy (docs/privacy.md): stops the socket probe libmediapipe.so makes as it loads (that probe
# is all that reads it); formcheck.pose.privacy stops MediaPipe's usage reports.
_os.environ.setdefault("GOOGLE_SANDBOX_NO_NETWORK", "1")
