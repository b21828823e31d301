"""A safe formula of x: parsed into a whitelist of NumPy functions and arithmetic, never eval'd.

``parse("sin(3*x) + abs(x)/2")`` checks the text and returns f(x: np.ndarray) -> np.ndarray. Only
numbers, the variable x, the constants pi and e, + - * / ** %, unary minus, and the functions in
:data:`FUNCTIONS` are allowed; anything else (names, attributes, subscripts, keyword arguments,
comprehensions, strings) is refused with a :class:`FormulaError` saying what was not allowed.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable

import numpy as np

MAX_CHARS = 120
MAX_NODES = 80
MAX_POWER = 10.0  # a literal exponent above this (x ** 1000) is refused: it only overflows

FUNCTIONS: dict[str, Callable[..., np.ndarray]] = {
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "tanh": np.tanh, "exp": np.exp, "log": np.log,
    "sqrt": np.sqrt, "abs": np.abs, "sign": np.sign, "floor": np.floor, "ceil": np.ceil, "round": np.round,
    "min": np.minimum, "max": np.maximum, "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "relu": lambda z: np.maximum(z, 0.0), "step": lambda z: (z > 0).astype(float),
}
ARITY = {"min": 2, "max": 2}
CONSTANTS = {"pi": math.pi, "e": math.e}
_BINOPS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide,
           ast.Pow: np.power, ast.Mod: np.mod}
_UNARY = {ast.USub: np.negative, ast.UAdd: np.positive}


class FormulaError(ValueError):
    """The formula is not allowed or cannot be read; the message says why in plain words."""


def _check(node: ast.AST) -> None:
    if isinstance(node, ast.Expression):
        return _check(node.body)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise FormulaError(f"only numbers are allowed as constants, not {node.value!r}")
        return None
    if isinstance(node, ast.Name):
        if node.id != "x" and node.id not in CONSTANTS:
            raise FormulaError(f"unknown name {node.id!r}: use x, pi, e and the listed functions")
        return None
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            raise FormulaError("only + - * / ** % are allowed")
        if isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Constant) and \
                isinstance(node.right.value, (int, float)) and abs(node.right.value) > MAX_POWER:
            raise FormulaError(f"exponents above {MAX_POWER:g} are not allowed")
        _check(node.left)
        return _check(node.right)
    if isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARY:
            raise FormulaError("only a leading - or + is allowed")
        return _check(node.operand)
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            what = node.func.id if isinstance(node.func, ast.Name) else "that"
            raise FormulaError(f"{what!r} is not an allowed function; allowed: {', '.join(FUNCTIONS)}")
        if node.keywords:
            raise FormulaError("keyword arguments are not allowed")
        want = ARITY.get(node.func.id, 1)
        if len(node.args) != want:
            raise FormulaError(f"{node.func.id} takes {want} argument{'s' * (want > 1)}")
        for a in node.args:
            _check(a)
        return None
    raise FormulaError(f"{type(node).__name__.lower()} is not allowed in a formula")


def _eval(node: ast.AST, x: np.ndarray) -> np.ndarray:
    if isinstance(node, ast.Expression):
        return _eval(node.body, x)
    if isinstance(node, ast.Constant):
        return np.full_like(x, float(node.value))
    if isinstance(node, ast.Name):
        return x if node.id == "x" else np.full_like(x, CONSTANTS[node.id])
    if isinstance(node, ast.BinOp):
        return _BINOPS[type(node.op)](_eval(node.left, x), _eval(node.right, x))
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_eval(node.operand, x))
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    return FUNCTIONS[node.func.id](*(_eval(a, x) for a in node.args))


def parse(text: str) -> Callable[[np.ndarray], np.ndarray]:
    """Check ``text`` and return the function it describes; raises :class:`FormulaError`."""
    text = text.strip().replace("^", "**")
    if not text:
        raise FormulaError("type a formula of x, e.g. sin(3*x) + abs(x)/2")
    if len(text) > MAX_CHARS:
        raise FormulaError(f"at most {MAX_CHARS} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise FormulaError(f"could not read {text!r} as a formula") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise FormulaError("formula too long")
    _check(tree)

    def f(x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(_eval(tree, np.asarray(x, dtype=np.float64)), dtype=np.float64)

    return f


def evaluate(text: str, x: np.ndarray) -> np.ndarray:
    """The formula's values at x [N]; raises :class:`FormulaError` when any value is not finite."""
    y = parse(text)(x)
    if y.shape != np.shape(x):
        y = np.broadcast_to(y, np.shape(x)).copy()
    if not np.all(np.isfinite(y)):
        raise FormulaError("the formula is not finite everywhere on -3 ≤ x ≤ 3 (e.g. log or / by 0)")
    if float(np.max(np.abs(y))) > 1e6:
        raise FormulaError("the formula's values exceed 1e6 on -3 ≤ x ≤ 3")
    return y
