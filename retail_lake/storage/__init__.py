"""Lake storage port: the same layout on S3 and on a local directory.

``LakeStorage`` is the small interface; :func:`open_storage` picks the adapter from
the lake root. Paths given to it are always relative to the lake root, so no
module builds ``s3://`` or filesystem paths by hand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from retail_lake.storage import layout
from retail_lake.storage._base import LakeStorage, StorageError
from retail_lake.storage._local import LocalStorage
from retail_lake.storage._s3 import S3Storage

if TYPE_CHECKING:
    from retail_lake.config import Settings


def open_storage(root: str, boto3_session=None) -> LakeStorage:
    """The storage adapter for ``root`` (``s3://bucket/prefix`` or a directory)."""
    if root.startswith("s3://"):
        return S3Storage(root, boto3_session=boto3_session)
    return LocalStorage(root)


def open_lake_storage(settings: Settings, boto3_session=None) -> LakeStorage:
    """The storage of ``settings.lake``; the one place that honours the rehearsal switch.

    With ``rehearsal_lake_dir`` set (only the deployment rehearsal sets it) the lake's
    files are read and written in that local folder although ``settings.lake`` is an
    s3:// URI, because Spark on a machine without AWS has no S3 connector.
    """
    if settings.rehearsal_lake_dir:
        return LocalStorage(settings.rehearsal_lake_dir)
    return open_storage(settings.lake, boto3_session)


__all__ = [
    "LakeStorage",
    "LocalStorage",
    "S3Storage",
    "StorageError",
    "layout",
    "open_lake_storage",
    "open_storage",
]
