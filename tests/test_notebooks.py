"""The notebooks under ``notebooks/``: stored without outputs, and they run and draw charts.

Each notebook is executed headless with nbclient against the small generated lake
(``tests/small_lake.py``), with ``RETAIL_LAKE_LAKE`` pointing at it exactly as an
analyst would set it. A notebook passes when no cell raised and at least one cell
produced a plotly figure (mime ``application/vnd.plotly.v1+json``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.small_lake import small_lake  # noqa: F401  (the shared session fixture)

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
PLOTLY_MIME = "application/vnd.plotly.v1+json"
KERNEL = "python3"


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 3, NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path: Path):
    """Outputs hold data and megabytes of plotly.js; git keeps only the code."""
    book = nbformat.read(path, as_version=4)
    dirty = [
        index
        for index, cell in enumerate(book.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts; clear them"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_uses_the_library_and_the_switch(path: Path):
    """No logic only in a notebook: it imports the analytics module and has the backend switch."""
    source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    assert "from retail_lake import analytics" in source
    assert 'QUERY = "local"' in source
    assert "RETAIL_LAKE_LAKE" in source


def _ensure_kernel() -> None:
    """Make sure a ``python3`` kernel spec of this interpreter exists (installed into the venv)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(KERNEL)
        return
    except NoSuchKernel:
        pass
    subprocess.run(
        [sys.executable, "-m", "ipykernel", "install", "--sys-prefix", "--name", KERNEL],
        check=True,
        capture_output=True,
    )


@pytest.mark.spark
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_and_draws(path: Path, small_lake: Path, monkeypatch, tmp_path):  # noqa: F811
    from nbclient import NotebookClient

    _ensure_kernel()
    monkeypatch.setenv("RETAIL_LAKE_LAKE", str(small_lake))
    # The kernel is a child process: it inherits this environment, and the repo root on
    # PYTHONPATH makes the checkout's library importable even without an editable install.
    root = str(Path(__file__).resolve().parents[1])
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    )
    book = nbformat.read(path, as_version=4)
    client = NotebookClient(
        book,
        kernel_name=KERNEL,
        timeout=300,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    errors = [
        out
        for cell in book.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "error"
    ]
    assert not errors, errors
    charts = [
        out
        for cell in book.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if PLOTLY_MIME in out.get("data", {})
    ]
    assert charts, f"{path.name} showed no plotly chart"
    for chart in charts:
        assert chart["data"][PLOTLY_MIME]["data"], f"{path.name}: a chart without traces"
