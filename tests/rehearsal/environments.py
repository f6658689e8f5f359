"""Cached virtual environments that mirror the Python runtimes of the AWS platforms.

``glue_environment`` mirrors an AWS Glue 5.0 Spark job: Python 3.11, Spark 3.5.4,
the modules AWS documents as provided (``glue_5_0_provided.txt``), the ``awsglue``
library (``AWSGlueDataplanePython``, pinned in requirements.lock.txt), then the
job's ``--additional-python-modules`` installed by a second ``pip install`` the
way Glue's pip does: they may upgrade provided modules, and where they conflict
with the documented versions pip's resolution decides, as on Glue.

``emr_environment`` mirrors the EMR Serverless 7.8.0 custom image of the daily
jobs: Python 3.11, Spark 3.5.4 (the Spark of EMR Serverless 7.8.0) and the given
modules, with no ``awsglue``.

Both are built from the machine's interpreter (``python3.11``, else ``python3``),
never from the project's ``.venv``, and neither may see the checkout: no editable
install, no ``.pth`` pointing at it, and probes run outside the repo with ``-I``.
Each lives under ``<repo>/.rehearsal/`` and is rebuilt only when its requirement
list changes: the list is written into a marker file inside the venv after a
successful install and compared on the next call.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".rehearsal"
LOCK_FILE = REPO / "requirements.lock.txt"
PROVIDED_FILE = Path(__file__).with_name("glue_5_0_provided.txt")
MARKER = ".rehearsal-requirements"

PYTHON = "3.11"  # Glue 5.0, and the interpreter the project's EMR image adds
PYSPARK = "pyspark==3.5.4"  # Spark of Glue 5.0 and of EMR Serverless 7.8.0
# Glue 5.0 lists pip 23.0.1 and setuptools 59.6.0 among its provided modules; the
# additional modules are installed with that pip, so the venv gets it first.
GLUE_TOOLING = ("pip==23.0.1", "setuptools==59.6.0")
AWSGLUE_DIST = "AWSGlueDataplanePython"
GLUE_VENV = "glue-5.0"
EMR_RELEASE = "emr-7.8.0"

# Variables that would let a venv's interpreter see the checkout or another env.
_LEAKY_ENV = (
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONSTARTUP",
    "PYTHONUSERBASE",
    "PYTHONSAFEPATH",
    "VIRTUAL_ENV",
    "PIP_USER",
    "PIP_TARGET",
    "PIP_PREFIX",
    "PIP_REQUIRE_VIRTUALENV",
    "PYSPARK_PYTHON",
    "PYSPARK_DRIVER_PYTHON",
)


def log(message: str) -> None:
    print(f"[rehearsal] {message}", file=sys.stderr, flush=True)


def clean_env(python: Path | None = None) -> dict[str, str]:
    """The caller's environment without what would leak the checkout into a venv.

    With ``python``, its ``bin`` directory comes first on PATH, as if activated.
    """
    env = {k: v for k, v in os.environ.items() if k not in _LEAKY_ENV}
    env["PYTHONNOUSERSITE"] = "1"
    if python is not None:
        env["PATH"] = f"{python.parent}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(python.parent.parent)
    return env


def canonical(name: str) -> str:
    """PEP 503 normalised distribution name: ``Typing_Extensions`` -> ``typing-extensions``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_requirements(path: Path) -> list[str]:
    """Non-empty, non-comment lines of a requirements file."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text("utf-8").splitlines())
    return [line for line in lines if line]


def glue_provided() -> list[str]:
    """The documented Glue 5.0 modules that install here, as ``name==version``."""
    return read_requirements(PROVIDED_FILE)


def locked(name: str) -> str:
    """``name==version`` of a distribution pinned in requirements.lock.txt."""
    for line in read_requirements(LOCK_FILE):
        if canonical(Requirement(line).name) == canonical(name):
            return line
    raise KeyError(f"{name} is not pinned in {LOCK_FILE.name}")


def glue_steps(additional_modules: Sequence[str]) -> list[list[str]]:
    """The ``pip install`` runs that build the Glue 5.0 environment, in order."""
    steps = [list(GLUE_TOOLING), [*glue_provided(), PYSPARK, locked(AWSGLUE_DIST)]]
    if additional_modules:
        steps.append(list(additional_modules))
    return steps


def glue_expected(additional_modules: Sequence[str]) -> list[str]:
    """What the Glue environment is meant to hold: provided + additional modules.

    An additional module replaces a provided one of the same name (Glue's pip
    upgrades it); the dependencies pip pulls in besides are not listed.
    """
    expected = {canonical(Requirement(r).name): r for step in glue_steps([]) for r in step}
    for requirement in additional_modules:
        expected[canonical(Requirement(requirement).name)] = requirement
    return list(expected.values())


def emr_steps(modules: Sequence[str]) -> list[list[str]]:
    """The ``pip install`` run that builds the EMR environment."""
    return [[PYSPARK, *modules]]


def base_python(version: str = PYTHON) -> Path:
    """The machine's interpreter of ``version``, never a virtual environment's.

    ``REHEARSAL_PYTHON`` overrides the search; otherwise ``python<version>`` then
    ``python3`` on PATH. A candidate that is itself a venv (the project's .venv
    when it is activated) stands for the interpreter it was made from.
    """
    probe = (
        "import json, sys; print(json.dumps({'version': '%d.%d' % sys.version_info[:2],"
        " 'venv': sys.prefix != sys.base_prefix,"
        " 'base': getattr(sys, '_base_executable', sys.executable) or sys.executable,"
        " 'executable': sys.executable}))"
    )
    candidates = [os.environ.get("REHEARSAL_PYTHON"), shutil.which(f"python{version}")]
    candidates.append(shutil.which("python3"))
    seen: list[str] = []
    for candidate in filter(None, candidates):
        for _ in range(2):  # a venv's python, then the base interpreter behind it
            done = subprocess.run(
                [candidate, "-I", "-c", probe],
                capture_output=True,
                text=True,
                env=clean_env(),
                cwd=tempfile.gettempdir(),
                check=False,
            )
            if done.returncode != 0:
                break
            info = json.loads(done.stdout)
            seen.append(f"{candidate} ({info['version']}{', a venv' if info['venv'] else ''})")
            if not info["venv"]:
                if info["version"] == version:
                    return Path(info["executable"])
                break
            candidate = info["base"]
    raise RuntimeError(f"no Python {version} interpreter on this machine; tried: {seen}")


def marker_text(version: str, steps: Sequence[Sequence[str]]) -> str:
    """What a venv's marker file holds; a venv whose marker differs is rebuilt."""
    lines = [f"# python {version}"]
    for number, step in enumerate(steps, 1):
        lines.append(f"# pip install, run {number}")
        lines.extend(step)
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def cache_lock(name: str) -> Iterator[None]:
    """One builder per environment at a time, across processes."""
    CACHE.mkdir(exist_ok=True)
    with (CACHE / f"{name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(command: Sequence[str | Path], *, python: Path | None, cwd: Path, what: str) -> None:
    started = time.monotonic()
    done = subprocess.run(
        [str(c) for c in command],
        capture_output=True,
        text=True,
        env=clean_env(python),
        cwd=cwd,
        check=False,
    )
    if done.returncode != 0:
        # pip repeats a warning for each unreachable extra index of the machine's
        # pip.conf; the lines that matter are the others.
        output = [
            line
            for line in (done.stdout + done.stderr).splitlines()
            if not line.startswith("WARNING: Location")
        ]
        tail = "\n".join(output[-40:])
        raise RuntimeError(f"{what} failed (exit {done.returncode}):\n{tail}")
    log(f"  {what}: {time.monotonic() - started:.1f}s")


def ensure_venv(name: str, version: str, steps: Sequence[Sequence[str]]) -> Path:
    """``<repo>/.rehearsal/<name>/bin/python``, (re)built when ``steps`` changed."""
    root = CACHE / name
    python = root / "bin" / "python"
    spec = marker_text(version, steps)
    with cache_lock(name):
        marker = root / MARKER
        if python.exists() and marker.exists() and marker.read_text("utf-8") == spec:
            log(f"{name}: cached ({root})")
            return python
        log(f"{name}: building {root} (requirement list changed or first build)")
        started = time.monotonic()
        shutil.rmtree(root, ignore_errors=True)
        CACHE.mkdir(exist_ok=True)
        base = base_python(version)
        _run([base, "-m", "venv", root], python=None, cwd=CACHE, what=f"venv from {base}")
        for number, step in enumerate(steps, 1):
            pip = [python, "-m", "pip", "install", "--no-input", "--progress-bar", "off"]
            _run([*pip, *step], python=python, cwd=root, what=f"pip install, run {number}")
        problems = isolation_problems(python, version)
        if problems:
            raise RuntimeError(f"{name} is not isolated from the checkout: {problems}")
        marker.write_text(spec, "utf-8")
        log(f"{name}: built in {time.monotonic() - started:.0f}s")
        return python


def run_python(python: Path, code: str, *, isolated: bool = True) -> str:
    """Run ``code`` with a venv's interpreter outside the checkout; return its stdout."""
    command = [str(python), *(["-I"] if isolated else []), "-c", code]
    with tempfile.TemporaryDirectory(prefix="rehearsal-probe-") as cwd:
        done = subprocess.run(
            command, capture_output=True, text=True, env=clean_env(python), cwd=cwd, check=False
        )
    if done.returncode != 0:
        raise RuntimeError(f"{python} -c ... failed:\n{done.stderr[-4000:]}")
    return done.stdout


def isolation_problems(python: Path, version: str = PYTHON) -> list[str]:
    """Why ``python`` is not a clean mirror: wrong version, sees the checkout, ..."""
    code = (
        "import glob, importlib.util, json, os, site, sys\n"
        "pth = {p: open(p).read() for d in site.getsitepackages()"
        " for p in glob.glob(os.path.join(d, '*.pth'))}\n"
        "print(json.dumps({'version': '%d.%d' % sys.version_info[:2], 'path': sys.path,"
        " 'retail_lake': importlib.util.find_spec('retail_lake') is not None, 'pth': pth}))"
    )
    info = json.loads(run_python(python, code))
    problems = []
    if info["version"] != version:
        problems.append(f"Python {info['version']}, not {version}")
    if info["retail_lake"]:
        problems.append("retail_lake is importable")
    for entry in info["path"]:
        resolved = Path(entry).resolve() if entry else None
        if resolved and resolved.is_relative_to(REPO) and not resolved.is_relative_to(CACHE):
            problems.append(f"sys.path has {entry}")
    for path, text in info["pth"].items():
        if str(REPO) in text:
            problems.append(f"{path} points into the checkout")
    return problems


def glue_environment(additional_modules: list[str]) -> Path:
    """The python of a venv mirroring an AWS Glue 5.0 job with these extra modules."""
    return ensure_venv(GLUE_VENV, PYTHON, glue_steps(additional_modules))


def emr_environment(modules: list[str], python: str = PYTHON) -> Path:
    """The python of a venv mirroring the EMR Serverless 7.8.0 custom image."""
    interpreter = ensure_venv(f"{EMR_RELEASE}-py{python}", python, emr_steps(modules))
    if importable(interpreter, "awsglue"):
        raise RuntimeError(f"awsglue is importable in {interpreter}; EMR has no awsglue")
    return interpreter


def importable(python: Path, module: str) -> bool:
    code = f"import importlib.util; print(importlib.util.find_spec({module!r}) is not None)"
    return run_python(python, code).strip() == "True"


def installed_distributions(python: Path) -> dict[str, str]:
    """``{canonical name: version}`` of every distribution installed in the venv."""
    code = (
        "import importlib.metadata as m, json\n"
        "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
    )
    return {canonical(k): v for k, v in json.loads(run_python(python, code)).items()}


@dataclass
class EnvironmentDiff:
    """How an environment differs from a requirement list."""

    missing: list[str] = field(default_factory=list)
    wrong_version: dict[str, tuple[str, str]] = field(default_factory=dict)  # want, have
    extra: dict[str, str] = field(default_factory=dict)  # pulled in as dependencies

    @property
    def matches(self) -> bool:
        """Every requirement installed at an allowed version (extras are allowed)."""
        return not self.missing and not self.wrong_version


def environment_diff(python: Path, requirements: Iterable[str]) -> EnvironmentDiff:
    """Compare the venv's distributions with ``requirements`` (``name==version`` ...)."""
    installed = installed_distributions(python)
    diff = EnvironmentDiff()
    wanted = set()
    for line in requirements:
        requirement = Requirement(line)
        name = canonical(requirement.name)
        wanted.add(name)
        if name not in installed:
            diff.missing.append(line)
        elif not requirement.specifier.contains(installed[name], prereleases=True):
            diff.wrong_version[name] = (str(requirement.specifier), installed[name])
    diff.extra = {k: v for k, v in sorted(installed.items()) if k not in wanted}
    return diff


def dependents(python: Path) -> dict[str, set[str]]:
    """``{canonical name: distributions that require it}`` within the venv."""
    code = (
        "import importlib.metadata as m, json\n"
        "print(json.dumps({d.metadata['Name']: d.requires or [] for d in m.distributions()}))"
    )
    out: dict[str, set[str]] = {}
    for name, requires in json.loads(run_python(python, code)).items():
        for line in requires:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                out.setdefault(canonical(requirement.name), set()).add(canonical(name))
    return out
