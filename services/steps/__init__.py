"""Business steps, found by the BPMN element that calls them: service task `record_handover` of
`carry_out.bpmn` runs the function `record_handover` registered for `carry_out`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
import pkgutil
from importlib import import_module
from typing import Callable

from sqlalchemy.orm import Session

from models import ProcessInstance, User

OPERATOR_PREFIX = "baomi/"
_STEPS: dict[tuple[str, str], Callable] = {}
_START_CHECKS: dict[str, Callable] = {}
_LOADED = False


@dataclass
class StepContext:
    """What a step may touch: the transaction, the case and who caused the step."""

    session: Session
    instance: ProcessInstance
    actor: User | None
    now: datetime


def step(process_id: str):
    """Register a function as the service task of the same name in `process_id`."""
    def register(fn):
        _STEPS[(process_id, fn.__name__)] = fn
        return fn
    return register


def start_check(process_id: str):
    """Register the check that vets (and may complete) an application before the case starts."""
    def register(fn):
        _START_CHECKS[process_id] = fn
        return fn
    return register


def load_all() -> None:
    """Import every procedure's step module (they register steps and messages on import)."""
    global _LOADED
    if not _LOADED:
        # One module per procedure, named after its process id; adding a procedure touches no list.
        for module in pkgutil.iter_modules(__path__):
            import_module(f"services.steps.{module.name}")
        _LOADED = True


def runner(process_id: str, ctx: StepContext):
    """A callable the engine uses to run service tasks of one case."""
    load_all()

    def call(operator: str, data: dict, params: dict) -> dict:
        name = operator.removeprefix(OPERATOR_PREFIX)
        fn = _STEPS.get((process_id, name))
        if fn is None:
            raise LookupError(f"no step {name} registered for {process_id}")
        return fn(ctx, data, **params) or {}
    return call


def check_start(process_id: str, ctx: StepContext, data: dict) -> dict:
    """Run the procedure's start check, if it has one; returns the data the case starts with."""
    load_all()
    fn = _START_CHECKS.get(process_id)
    return fn(ctx, data) if fn else data


def registered_steps() -> set[tuple[str, str]]:
    load_all()
    return set(_STEPS)
