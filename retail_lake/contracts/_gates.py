"""Quality gates as the contracts declare them: thresholds and the action of a breach.

A gate turns one figure of a load (the share of rows quarantined, how far the row
volume is from its recent median, the share of a dimension's keys a snapshot lost)
into ``None`` (passed), ``warn`` (alert, the run goes on) or ``halt`` (the load is
not merged and the step fails). Defaults are declared per dataset kind in the
``[gates]`` table of ``datasets.toml``; a dataset's own ``gates`` table replaces the
limits of the gates it names (docs/design.md, Quality gates).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

Action = Literal["warn", "halt"]

GATE_NAMES: tuple[str, ...] = ("quarantine_share", "volume", "key_loss")
"""Every gate, in the order alerts and reports list them."""

_VOLUME_OPTIONS = ("history", "min_history")


class GateDeclarationError(ValueError):
    """A ``gates`` table of the contracts is malformed."""


@dataclass(frozen=True)
class GateLimits:
    """The figure at or above which a gate warns, and the one at or above which it halts."""

    warn_at: float | None = None
    halt_at: float | None = None

    def action(self, figure: float) -> Action | None:
        if self.halt_at is not None and figure >= self.halt_at:
            return "halt"
        if self.warn_at is not None and figure >= self.warn_at:
            return "warn"
        return None

    def threshold(self, action: Action) -> float:
        value = self.halt_at if action == "halt" else self.warn_at
        assert value is not None, f"no {action} threshold"
        return value


@dataclass(frozen=True)
class Gates:
    """The gates of one dataset.

    ``volume`` compares a load's rows with the median of the dataset's last
    ``volume_history`` loads, and is only judged once ``volume_min_history`` loads
    are known: its figure is how many times smaller or larger the load is.
    ``key_loss`` only applies to dimensions.
    """

    quarantine_share: GateLimits = field(default_factory=GateLimits)
    volume: GateLimits = field(default_factory=GateLimits)
    key_loss: GateLimits = field(default_factory=GateLimits)
    volume_history: int = 7
    volume_min_history: int = 3

    def limits(self, gate: str) -> GateLimits:
        return getattr(self, gate)


def _limits(where: str, gate: str, body: Any) -> GateLimits:
    if not isinstance(body, dict) or not set(body) <= {"warn_at", "halt_at", *_VOLUME_OPTIONS}:
        raise GateDeclarationError(
            f"{where}: gate {gate!r} takes warn_at and halt_at (volume also history and"
            f" min_history), got {body!r}"
        )
    values = {k: body.get(k) for k in ("warn_at", "halt_at")}
    for name, value in values.items():
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or value < 0
            or math.isnan(value)
        ):
            raise GateDeclarationError(f"{where}: {gate}.{name} must be a number >= 0")
    warn, halt = values["warn_at"], values["halt_at"]
    if warn is not None and halt is not None and warn > halt:
        raise GateDeclarationError(f"{where}: {gate}.warn_at is above its halt_at")
    if gate in ("quarantine_share", "key_loss") and any(
        v is not None and v > 1 for v in values.values()
    ):
        raise GateDeclarationError(f"{where}: {gate} thresholds are shares between 0 and 1")
    if gate == "volume" and any(v is not None and v < 1 for v in values.values()):
        raise GateDeclarationError(f"{where}: volume thresholds are factors of at least 1")
    return GateLimits(None if warn is None else float(warn), None if halt is None else float(halt))


def parse_gates(where: str, *tables: dict[str, Any]) -> Gates:
    """The gates from ``tables`` (kind defaults first, the dataset's own last)."""
    found: dict[str, Any] = {}
    for table in tables:
        unknown = set(table) - set(GATE_NAMES)
        if unknown:
            raise GateDeclarationError(
                f"{where}: unknown gates {sorted(unknown)}; the gates are {', '.join(GATE_NAMES)}"
            )
        for gate, body in table.items():
            found[gate] = _limits(where, gate, body)
            if gate == "volume":
                for option in _VOLUME_OPTIONS:
                    if option in body:
                        value = body[option]
                        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                            raise GateDeclarationError(
                                f"{where}: volume.{option} must be a whole number >= 1"
                            )
                        found[f"volume_{option}"] = value
    return Gates(**found)
