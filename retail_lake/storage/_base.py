"""The storage interface shared by the local and S3 adapters."""

from __future__ import annotations

from typing import Protocol


class StorageError(RuntimeError):
    """A lake read or write failed; the message names the path."""


class LakeStorage(Protocol):
    root: str

    def uri(self, rel: str) -> str:
        """The absolute location Spark/DuckDB/awswrangler should use for ``rel``."""

    def exists(self, rel: str) -> bool: ...

    def list_files(self, rel: str) -> list[str]:
        """Relative paths of the files below ``rel``, sorted; empty if none."""

    def list_dirs(self, rel: str) -> list[str]:
        """Names of the immediate sub-folders of ``rel``, sorted."""

    def read_bytes(self, rel: str) -> bytes: ...

    def read_head(self, rel: str, size: int = 65536) -> bytes:
        """The first ``size`` bytes (enough to check a CSV header without reading it all)."""

    def write_bytes(self, rel: str, data: bytes) -> None:
        """Write a whole object; readers see the old or the new content, never a part."""

    def size(self, rel: str) -> int: ...

    def delete(self, rel: str) -> None:
        """Delete a file or everything below a folder; missing is fine."""

    def replace_dir(self, staged: str, target: str) -> None:
        """Make the folder ``staged`` become ``target``, replacing what was there."""
