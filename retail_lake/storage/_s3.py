"""S3 adapter (boto3). S3 has no rename, so a folder swap copies then deletes.

Readers of the catalog see a partition switch when the copy is complete, because
the jobs register partitions only after :meth:`replace_dir` returns.
"""

from __future__ import annotations

from urllib.parse import urlparse

from retail_lake.storage._base import StorageError


class S3Storage:
    def __init__(self, root: str, boto3_session=None) -> None:
        import boto3

        parsed = urlparse(root)
        self.root = root.rstrip("/")
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        self._s3 = (boto3_session or boto3.Session()).client("s3")

    def _key(self, rel: str) -> str:
        rel = rel.strip("/")
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def _rel(self, key: str) -> str:
        return key[len(self.prefix) + 1 :] if self.prefix else key

    def uri(self, rel: str) -> str:
        return f"s3://{self.bucket}/{self._key(rel)}"

    def _keys(self, rel: str) -> list[str]:
        prefix = self._key(rel)
        paginator = self._s3.get_paginator("list_objects_v2")
        keys: list[str] = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
        return [k for k in keys if k == prefix or k.startswith(prefix.rstrip("/") + "/")]

    def exists(self, rel: str) -> bool:
        return bool(self._keys(rel))

    def list_files(self, rel: str) -> list[str]:
        return sorted(self._rel(k) for k in self._keys(rel) if not k.endswith("/"))

    def list_dirs(self, rel: str) -> list[str]:
        prefix = self._key(rel).rstrip("/") + "/"
        paginator = self._s3.get_paginator("list_objects_v2")
        names: set[str] = set()
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/"):
            for common in page.get("CommonPrefixes", []):
                names.add(common["Prefix"][len(prefix) :].strip("/"))
        return sorted(names)

    def read_bytes(self, rel: str) -> bytes:
        try:
            return self._s3.get_object(Bucket=self.bucket, Key=self._key(rel))["Body"].read()
        except Exception as exc:
            raise StorageError(f"cannot read {self.uri(rel)}: {exc}") from exc

    def read_head(self, rel: str, size: int = 65536) -> bytes:
        try:
            response = self._s3.get_object(
                Bucket=self.bucket, Key=self._key(rel), Range=f"bytes=0-{size - 1}"
            )
        except Exception as exc:
            raise StorageError(f"cannot read {self.uri(rel)}: {exc}") from exc
        return response["Body"].read()

    def write_bytes(self, rel: str, data: bytes) -> None:
        self._s3.put_object(Bucket=self.bucket, Key=self._key(rel), Body=data)

    def size(self, rel: str) -> int:
        return self._s3.head_object(Bucket=self.bucket, Key=self._key(rel))["ContentLength"]

    def delete(self, rel: str) -> None:
        keys = self._keys(rel)
        for start in range(0, len(keys), 1000):
            chunk = [{"Key": k} for k in keys[start : start + 1000]]
            self._s3.delete_objects(Bucket=self.bucket, Delete={"Objects": chunk})

    def replace_dir(self, staged: str, target: str) -> None:
        staged_keys = self._keys(staged)
        new_keys = set()
        for key in staged_keys:
            suffix = key[len(self._key(staged)) :]
            dest = self._key(target) + suffix
            self._s3.copy_object(
                Bucket=self.bucket, Key=dest, CopySource={"Bucket": self.bucket, "Key": key}
            )
            new_keys.add(dest)
        stale = [k for k in self._keys(target) if k not in new_keys]
        for start in range(0, len(stale), 1000):
            chunk = [{"Key": k} for k in stale[start : start + 1000]]
            self._s3.delete_objects(Bucket=self.bucket, Delete={"Objects": chunk})
        self.delete(staged)
        if not staged_keys and not stale and not self.exists(target):
            raise StorageError(f"nothing staged at {self.uri(staged)}")
