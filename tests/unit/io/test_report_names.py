"""Issue 16: inputs of one batch get report names of their own (formcheck.io.paths)."""

from __future__ import annotations

import pytest

from formcheck.io.paths import report_names


@pytest.mark.parametrize(
    ("inputs", "names"),
    [
        (["a/clip.mp4", "b/other.mp4"], ["clip", "other"]),
        (["a/clip.mp4", "b/clip.mp4"], ["a-clip", "b-clip"]),
        (["/x/a/clip.mp4", "/y/a/clip.mp4", "z.mp4"], ["x-a-clip", "y-a-clip", "z"]),
        (["a/clip.mp4", "a/clip.jpg"], ["a-clip-mp4", "a-clip-jpg"]),
        (["a/Clip.mp4", "b/clip.MOV"], ["a-Clip", "b-clip"]),  # one name on macOS and Windows
        (["a/clip.mp4", "b/clip.mp4", "a-clip.mp4"], ["a-clip", "b-clip", "a-clip-2"]),
    ],
)
def test_names_are_distinct_and_deterministic(inputs: list[str], names: list[str]) -> None:
    assert report_names(inputs) == names
    assert report_names(list(inputs)) == names
