"""Every third-party module that formcheck imports comes from a dependency pyproject.toml declares.

``cv2`` used to arrive only through mediapipe's ``opencv-contrib-python``; a release of mediapipe
that dropped or renamed it would have broken formcheck without a word. The imports are read with
``ast`` (also those inside functions), each top-level name is mapped to the distribution that
provides it (``importlib.metadata``), and that distribution must be declared, in the core
dependencies or in an extra.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "formcheck"

# import name -> distribution, for optional packages that may not be installed here (the synth
# extra); installed packages are looked up in their metadata instead
NOT_INSTALLED_ALIASES = {"OpenGL": "pyopengl", "cv2": "opencv-contrib-python"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> dict[str, set[str]]:
    """Distribution name -> where it is declared ("core" or the extra's name)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    out: dict[str, set[str]] = {}
    groups = {"core": project["dependencies"], **project.get("optional-dependencies", {})}
    for group, reqs in groups.items():
        for req in reqs:
            name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)
            assert name, req
            out.setdefault(_norm(name.group(1)), set()).add(group)
    return out


def _imports() -> dict[str, list[str]]:
    """Top-level module name -> files of formcheck that import it (absolute imports only)."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                found.setdefault(top, []).append(str(path.relative_to(ROOT)))
    return found


def test_the_scan_sees_the_imports_it_must():
    imports = _imports()
    for name in ("cv2", "mediapipe", "numpy", "json", "formcheck"):
        assert name in imports, name


def test_every_third_party_import_is_declared():
    declared = _declared()
    providers = md.packages_distributions()
    problems = []
    for top, files in sorted(_imports().items()):
        if top in sys.stdlib_module_names or top == "formcheck" or top == "__future__":
            continue
        dists = {_norm(d) for d in providers.get(top, [])}
        if not dists:
            dists = {_norm(NOT_INSTALLED_ALIASES.get(top, top))}
        if not dists & declared.keys():
            problems.append(f"{top} (from {sorted(dists)}) imported by {sorted(set(files))}")
    assert not problems, "undeclared third-party imports:\n" + "\n".join(problems)


def test_opencv_is_the_contrib_build_mediapipe_uses():
    """Declared as mediapipe's own dependency; a second OpenCV wheel would clash over cv2."""
    declared = _declared()
    assert "core" in declared.get("opencv-contrib-python", set())
    assert "opencv-python" not in declared
    assert "opencv-python-headless" not in declared
    requires = md.requires("mediapipe") or []
    assert any(_norm(r).startswith("opencv-contrib-python") for r in requires), requires
