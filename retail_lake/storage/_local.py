"""Local-directory adapter: the lake layout on disk, with atomic swaps by rename."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from retail_lake.storage._base import StorageError


class LocalStorage:
    def __init__(self, root: str) -> None:
        self.root = str(Path(root).resolve())

    def _path(self, rel: str) -> Path:
        path = Path(self.root, rel)
        if ".." in Path(rel).parts:
            raise StorageError(f"path escapes the lake: {rel}")
        return path

    def uri(self, rel: str) -> str:
        return str(self._path(rel))

    def exists(self, rel: str) -> bool:
        return self._path(rel).exists()

    def list_files(self, rel: str) -> list[str]:
        base = self._path(rel)
        if base.is_file():
            return [rel]
        if not base.is_dir():
            return []
        return sorted(str(p.relative_to(self.root)) for p in base.rglob("*") if p.is_file())

    def list_dirs(self, rel: str) -> list[str]:
        base = self._path(rel)
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if p.is_dir())

    def read_bytes(self, rel: str) -> bytes:
        try:
            return self._path(rel).read_bytes()
        except OSError as exc:
            raise StorageError(f"cannot read {self.uri(rel)}: {exc.strerror or exc}") from exc

    def read_head(self, rel: str, size: int = 65536) -> bytes:
        try:
            with self._path(rel).open("rb") as handle:
                return handle.read(size)
        except OSError as exc:
            raise StorageError(f"cannot read {self.uri(rel)}: {exc.strerror or exc}") from exc

    def write_bytes(self, rel: str, data: bytes) -> None:
        path = self._path(rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def size(self, rel: str) -> int:
        return self._path(rel).stat().st_size

    def delete(self, rel: str) -> None:
        path = self._path(rel)
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()

    def replace_dir(self, staged: str, target: str) -> None:
        """Swap by two renames; a reader sees the old or the new folder, never a mix."""
        src, dst = self._path(staged), self._path(target)
        dst.parent.mkdir(parents=True, exist_ok=True)
        trash = dst.with_name(f".{dst.name}.{uuid.uuid4().hex}.old")
        if dst.exists():
            os.rename(dst, trash)
        os.rename(src, dst)
        if trash.exists():
            shutil.rmtree(trash)
