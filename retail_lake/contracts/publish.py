"""Publishing the contracts as metadata, and refusing to run against a different version.

``publish`` stores the parsed ``datasets.toml`` with its version and content hash
through the tracker (DynamoDB metadata table via ``wr.dynamodb.put_items`` on AWS,
the SQLite tracker locally). ``check_published`` is what jobs and Lambdas call at
start-up so that code and published metadata cannot silently disagree.

Nothing published yet: by default this passes with a warning, because a fresh
environment (or a local lake) has not run ``retail-lake contracts publish`` yet and
there is nothing to disagree with; deployed jobs pass ``strict=True`` so that a
stack whose publish step was skipped fails instead.
"""

from __future__ import annotations

import logging
import tomllib
from importlib import resources
from typing import Any

from retail_lake.contracts._model import ContractError, contract_hash, contracts
from retail_lake.tracker import PublishedContract, Tracker

log = logging.getLogger(__name__)

PUBLISH_COMMAND = "retail-lake contracts publish"


def contract_document() -> dict[str, Any]:
    """The parsed ``datasets.toml`` shipped with the code (what the hash is taken of)."""
    text = resources.files("retail_lake.contracts").joinpath("datasets.toml").read_text("utf-8")
    document = tomllib.loads(text)
    if contract_hash(document) != contracts().content_hash:  # pragma: no cover - same file
        raise ContractError("datasets.toml changed while the process was running")
    return document


def publish(tracker: Tracker) -> PublishedContract:
    """Write the code's contracts (version, content hash, document) through the tracker."""
    registry = contracts()
    published = tracker.put_contract(registry.version, registry.content_hash, contract_document())
    log.info("published contracts version %s (hash %s)", published.version, published.content_hash)
    return published


def publish_if_changed(tracker: Tracker) -> tuple[PublishedContract, bool]:
    """:func:`publish` unless the code's version and hash are already published.

    Returns what is published and whether this call wrote it; running it again
    changes nothing (``retail-lake deploy`` calls it on every deployment).
    """
    registry = contracts()
    current = tracker.get_contract()
    if current and (current.version, current.content_hash) == (
        registry.version,
        registry.content_hash,
    ):
        log.info(
            "contracts version %s (hash %s) already published",
            current.version,
            current.content_hash,
        )
        return current, False
    return publish(tracker), True


def check_published(tracker: Tracker, *, strict: bool = False) -> PublishedContract | None:
    """Raise :class:`ContractError` when the published contracts differ from the code's.

    Returns what is published (``None`` when nothing is and ``strict`` is false).
    """
    registry = contracts()
    published = tracker.get_contract()
    if published is None:
        message = (
            f"no contract version is published; the code has {registry.version} "
            f"(hash {registry.content_hash}); run `{PUBLISH_COMMAND}`"
        )
        if strict:
            raise ContractError(message)
        log.warning(message)
        return None
    if (published.version, published.content_hash) != (registry.version, registry.content_hash):
        raise ContractError(
            f"published contract version {published.version} (hash {published.content_hash}) "
            f"differs from the code's {registry.version} (hash {registry.content_hash}); "
            f"run `{PUBLISH_COMMAND}`"
        )
    log.info("running with contracts version %s (hash %s)", registry.version, registry.content_hash)
    return published


__all__ = [
    "PUBLISH_COMMAND",
    "check_published",
    "contract_document",
    "publish",
    "publish_if_changed",
]
