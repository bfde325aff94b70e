"""Gates a higher app registers into, so cases can ask without importing it (architecture.md).

A delivery gate is `gate(case) -> str | None`: None lets the result be delivered, a message (Simplified
Chinese, saying what to do) holds delivery back. The payments app registers "delivery waits for payment"
here from its AppConfig.ready(); cases never imports payments.

A decision hook is `hook(case, event) -> None`, run INSIDE the transaction of an approval (the case is
locked and already approved), so what it writes commits or rolls back with the decision: the payments
app creates the payment order of a fee-charging item this way. A hook that raises refuses the decision.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

DeliveryGate = Callable[[Any], str | None]
DecisionHook = Callable[[Any, Any], None]
_delivery_gates: dict[str, DeliveryGate] = {}
_decision_hooks: dict[str, DecisionHook] = {}


def register_delivery_gate(name: str, gate: DeliveryGate) -> None:
    """Add (or replace, by name) a gate every delivery must pass."""
    _delivery_gates[name] = gate


def unregister_delivery_gate(name: str) -> None:
    _delivery_gates.pop(name, None)


def delivery_problems(case: Any) -> list[str]:
    """What holds back delivery of `case` (empty: nothing)."""
    return [problem for gate in list(_delivery_gates.values()) if (problem := gate(case))]


def register_decision_hook(name: str, hook: DecisionHook) -> None:
    """Add (or replace, by name) a hook run inside every approval's transaction."""
    _decision_hooks[name] = hook


def unregister_decision_hook(name: str) -> None:
    _decision_hooks.pop(name, None)


def run_decision_hooks(case: Any, event: Any) -> None:
    for hook in list(_decision_hooks.values()):
        hook(case, event)
