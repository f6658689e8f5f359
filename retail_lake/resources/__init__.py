"""The files the library reads at run time, bundled in the package.

The canonical, hand-edited copies live in the repository's top-level folders
(``workflows/``, ``crawlers/``, ``cloudformation/``, ``glue_jobs/``, ``lambdas/``,
``requirements.lock.txt``, ``pyproject.toml``). This folder holds relative symlinks
to them, so a checkout reads the very same files, and the wheel (package data)
carries their real content. Names are relative to this folder and mirror the
repository layout: ``workflows/daily.toml``, ``glue_jobs/validate.py``, ... The one
exception is ``pyproject.toml``, bundled as :data:`PYPROJECT` (``project.toml``):
tools such as ruff take any file named ``pyproject.toml`` for a project root.

Everything goes through :mod:`importlib.resources`, which also works when the
wheel itself is on ``sys.path`` as a zip archive (Glue ``--extra-py-files``, EMR
Serverless ``--py-files``). Only what makes sense in a source checkout (rewriting
generated files, building the wheel) asks for :func:`require_checkout`.
"""

from __future__ import annotations

from collections.abc import Collection
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path, PurePosixPath

PACKAGE = "retail_lake"
PYPROJECT = "project.toml"
"""The bundled name of the repository's ``pyproject.toml`` (name and version)."""


class NoCheckoutError(RuntimeError):
    """An operation needs the source checkout, but the package is installed without one."""


def files() -> Traversable:
    """The root of the bundled files (this package's folder, or its place in a zip)."""
    return resources.files(__name__)


def path(relative: str) -> Traversable:
    """A bundled file by its repository-relative name, e.g. ``workflows/daily.toml``."""
    node = files()
    for part in relative.strip("/").split("/"):
        node = node.joinpath(part)
    return node


def read_text(relative: str) -> str:
    return path(relative).read_text("utf-8")


def read_bytes(relative: str) -> bytes:
    return path(relative).read_bytes()


def checkout() -> Path | None:
    """The repository root when the package is imported from a source checkout, else None."""
    package = resources.files(PACKAGE)
    if not isinstance(package, Path):
        return None
    root = package.resolve().parent
    markers = ("pyproject.toml", "workflows/daily.toml", "retail_lake/resources/__init__.py")
    return root if all((root / m).is_file() for m in markers) else None


def require_checkout(purpose: str) -> Path:
    """The repository root, or a one-line :class:`NoCheckoutError` naming ``purpose``."""
    root = checkout()
    if root is None:
        raise NoCheckoutError(
            f"{purpose} needs a source checkout of retail-lake; "
            "this installation has only the packaged files"
        )
    return root


def package_files(suffixes: Collection[str]) -> list[tuple[str, Traversable]]:
    """``(name in a zip, file)`` of every package file with one of ``suffixes``, sorted.

    Names start with ``retail_lake/``; bundled files appear with their real content
    (a symlink is read through), and ``__pycache__`` folders are skipped.
    """
    found: list[tuple[str, Traversable]] = []

    def walk(node: Traversable, prefix: str) -> None:
        for child in node.iterdir():
            name = f"{prefix}/{child.name}"
            if child.is_dir():
                if child.name != "__pycache__":
                    walk(child, name)
            elif PurePosixPath(child.name).suffix in suffixes:
                found.append((name, child))

    walk(resources.files(PACKAGE), PACKAGE)
    return sorted(found, key=lambda item: item[0])
