"""What a BPMN script or condition may do: compute with the task data, and nothing else.

Three fences, because each alone has holes:
- an AST check refuses imports, every name and attribute that starts with an underscore (the way from
  any object to its class, its module and the interpreter: `().__class__.__base__.__subclasses__()`),
  the frame and code attributes of generators and tracebacks (`gi_frame.f_globals` reaches a real
  module's globals), `format` (str.format reads attributes: "{0.__class__}"), `try` (it could swallow the
  time limit), and large powers (C-level work the time limit cannot interrupt);
- the code runs with a whitelist of builtins: no open, no __import__, no getattr, eval or exec;
- a time limit, checked on every line and call the script runs (sys.settrace), stops endless loops.
Memory is not fenced: `"x" * 10**9` still allocates (docs/SECURITY.md)."""
from __future__ import annotations

import ast
import sys
import time
from contextlib import contextmanager
from functools import lru_cache

TIME_LIMIT_SECONDS = 2.0
MAX_RANGE = 100_000
MAX_POWER = 64

# Reached through attributes, these lead from plain values to frames, code and other modules' globals.
_FORBIDDEN_ATTRIBUTES = {
    "format", "format_map", "mro",
    "gi_frame", "gi_code", "gi_yieldfrom", "cr_frame", "cr_code", "cr_await", "ag_frame", "ag_code",
    "ag_await", "tb_frame", "tb_next", "f_globals", "f_locals", "f_builtins", "f_back", "f_code",
    "co_code", "co_consts", "func_globals",
}
# Not in the builtins given to scripts either; refused by name so the refusal says why.
_FORBIDDEN_NAMES = {
    "eval", "exec", "compile", "open", "getattr", "setattr", "delattr", "globals", "locals", "vars",
    "breakpoint", "input", "help", "type", "object", "super", "memoryview", "classmethod", "staticmethod",
    "property", "dir", "id", "print", "exit", "quit",
}
_FORBIDDEN_NODES = (ast.Import, ast.ImportFrom, ast.Try, ast.TryStar, ast.Global, ast.Nonlocal, ast.ClassDef,
                    ast.AsyncFunctionDef, ast.Await, ast.Yield, ast.YieldFrom, ast.With, ast.AsyncWith,
                    ast.AsyncFor)


class ScriptRefused(Exception):
    """The script or condition tries something a BPMN script may not do."""


class ScriptTimeout(ScriptRefused):
    """The script ran longer than its time limit (an endless loop, or far too much work)."""


def _range(*args):
    """range() that refuses more than MAX_RANGE items: sum(range(10**12)) runs in C, past the time limit."""
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise ScriptRefused(f"range of more than {MAX_RANGE} items")
    return result


SAFE_BUILTINS = {
    "abs": abs, "all": all, "any": any, "bool": bool, "dict": dict, "enumerate": enumerate, "filter": filter,
    "float": float, "int": int, "isinstance": isinstance, "len": len, "list": list, "map": map, "max": max,
    "min": min, "range": _range, "reversed": reversed, "round": round, "set": set, "sorted": sorted,
    "str": str, "sum": sum, "tuple": tuple, "zip": zip, "True": True, "False": False, "None": None,
    "ValueError": ValueError,
}


class _Checker(ast.NodeVisitor):
    def generic_visit(self, node):
        if isinstance(node, _FORBIDDEN_NODES):
            raise ScriptRefused(f"{type(node).__name__.lower()} is not allowed in a script")
        super().generic_visit(node)

    def visit_Name(self, node: ast.Name):
        if node.id.startswith("_") or node.id in _FORBIDDEN_NAMES:
            raise ScriptRefused(f"the name {node.id!r} is not allowed in a script")

    def visit_Attribute(self, node: ast.Attribute):
        if node.attr.startswith("_") or node.attr in _FORBIDDEN_ATTRIBUTES:
            raise ScriptRefused(f"the attribute {node.attr!r} is not allowed in a script")
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef):
        if node.name.startswith("_"):
            raise ScriptRefused(f"the name {node.name!r} is not allowed in a script")
        self.generic_visit(node)

    def visit_arg(self, node: ast.arg):
        if node.arg.startswith("_"):
            raise ScriptRefused(f"the name {node.arg!r} is not allowed in a script")

    def visit_keyword(self, node: ast.keyword):
        if node.arg and node.arg.startswith("_"):
            raise ScriptRefused(f"the name {node.arg!r} is not allowed in a script")
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp):
        if isinstance(node.op, ast.Pow) and not (
                isinstance(node.right, ast.Constant) and isinstance(node.right.value, (int, float))
                and abs(node.right.value) <= MAX_POWER):
            raise ScriptRefused(f"powers are allowed with a constant exponent of at most {MAX_POWER}")
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign):
        if isinstance(node.op, ast.Pow):
            raise ScriptRefused("**= is not allowed in a script")
        self.generic_visit(node)


@lru_cache(maxsize=2048)
def compile_checked(source: str, mode: str):
    """The code object of a script ("exec") or condition ("eval") that passed the check (cached: conditions
    are evaluated at every gateway)."""
    tree = ast.parse(source, mode=mode)
    _Checker().visit(tree)
    return compile(tree, "<string>", mode)


@contextmanager
def time_limit(seconds: float | None = None):
    """Stop the code run inside after `seconds`: every line and call it makes checks the clock."""
    deadline = time.monotonic() + (TIME_LIMIT_SECONDS if seconds is None else seconds)
    previous = sys.gettrace()

    def trace(frame, event, arg):
        if time.monotonic() > deadline:
            raise ScriptTimeout("the script ran past its time limit")
        return trace

    sys.settrace(trace)
    try:
        yield
    finally:
        sys.settrace(previous)


def evaluate(expression: str, namespace: dict):
    """The value of a condition or expression over `namespace`, inside the fences."""
    code = compile_checked(expression.strip(), "eval")
    namespace["__builtins__"] = SAFE_BUILTINS
    with time_limit():
        return eval(code, namespace)  # noqa: S307 - checked code, whitelisted builtins, time limit


def execute(script: str, namespace: dict) -> None:
    """Run a script over `namespace` (the task data it changes), inside the fences."""
    code = compile_checked(script, "exec")
    namespace["__builtins__"] = SAFE_BUILTINS
    with time_limit():
        exec(code, namespace)  # noqa: S102 - checked code, whitelisted builtins, time limit
