"""Search spaces over a strategy's typed parameters: ranges, parsing, grid enumeration."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from crypto_trader.common.errors import InvalidInput

ParameterValue = int | float | bool
DEFAULT_GRID_CAP = 10_000


@dataclass(frozen=True, slots=True)
class Dimension:
    """One searched parameter: an int or float range (optional step) or a bool."""

    name: str
    type: str
    low: float = 0
    high: float = 0
    step: float | None = None

    def values(self) -> list[ParameterValue]:
        """Return every value a grid tries, lowest first.

        Raises
        ------
        InvalidInput
            When a float range has no step (a grid cannot enumerate a continuum).
        """
        if self.type == "bool":
            return [False, True]
        if self.type == "int":
            step = int(self.step or 1)
            return list(range(int(self.low), int(self.high) + 1, step))
        if self.step is None:
            raise InvalidInput(f"grid search needs a step for float parameter {self.name}")
        count = math.floor((self.high - self.low) / self.step + 1e-9) + 1
        # Multiply rather than accumulate so 0.1-steps do not drift.
        return [round(self.low + index * self.step, 12) for index in range(count)]

    def as_dict(self) -> dict[str, object]:
        """Return the dimension as a JSON-ready dict."""
        return {
            "name": self.name,
            "type": self.type,
            "low": self.low,
            "high": self.high,
            "step": self.step,
        }


@dataclass(frozen=True, slots=True)
class SearchSpace:
    """The searched dimensions plus fixed values for the other parameters."""

    dimensions: tuple[Dimension, ...]
    fixed: Mapping[str, ParameterValue]

    def grid_size(self) -> int:
        """Return the number of grid points (before constraint filtering)."""
        return math.prod(len(dimension.values()) for dimension in self.dimensions)

    def grid(self, cap: int = DEFAULT_GRID_CAP) -> Iterator[dict[str, ParameterValue]]:
        """Yield every combination (cartesian product, the last dimension varying fastest).

        Raises
        ------
        InvalidInput
            When the grid has more than ``cap`` points.
        """
        size = self.grid_size()
        if size > cap:
            raise InvalidInput(
                f"grid has {size} points, more than the cap of {cap}; "
                "narrow the ranges, raise the steps or use --method tpe"
            )
        names = [dimension.name for dimension in self.dimensions]
        for combination in itertools.product(*(d.values() for d in self.dimensions)):
            yield {**self.fixed, **dict(zip(names, combination, strict=True))}

    def as_dict(self) -> dict[str, object]:
        """Return the space as a JSON-ready dict."""
        return {
            "dimensions": [dimension.as_dict() for dimension in self.dimensions],
            "fixed": dict(self.fixed),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> SearchSpace:
        """Rebuild a space from ``as_dict`` output."""
        dimensions = data.get("dimensions", [])
        fixed = data.get("fixed", {})
        if not isinstance(dimensions, list) or not isinstance(fixed, dict):
            raise InvalidInput("a search space needs a dimensions list and a fixed dict")
        return cls(tuple(Dimension(**item) for item in dimensions), dict(fixed))


def _number(text: str, kind: str, name: str) -> float:
    try:
        value = int(text) if kind == "int" else float(text)
    except ValueError:
        raise InvalidInput(f"--param-range {name}: {text!r} is not a valid {kind}") from None
    if not math.isfinite(value):
        raise InvalidInput(f"--param-range {name}: {text!r} is not finite")
    return value


def parse_dimension(text: str, schema: Mapping[str, Mapping[str, object]]) -> Dimension:
    """Parse ``NAME=LOW:HIGH[:STEP]`` (or ``NAME=bool``) against the strategy's parameter schema.

    Raises
    ------
    InvalidInput
        When the name is unknown, the range malformed, empty or outside the parameter's bounds.
    """
    name, separator, spec = text.partition("=")
    name, spec = name.strip(), spec.strip()
    if not separator or not name or not spec:
        raise InvalidInput(f"--param-range must be NAME=LOW:HIGH[:STEP], got {text!r}")
    if name not in schema:
        raise InvalidInput(f"unknown parameter {name!r}; known: {', '.join(schema)}")
    kind = str(schema[name]["type"])
    if kind == "bool":
        if spec.lower() not in {"bool", "true,false", "false,true"}:
            raise InvalidInput(f"--param-range {name}: a bool parameter takes {name}=bool")
        return Dimension(name, "bool")
    parts = spec.split(":")
    if len(parts) not in (2, 3):
        raise InvalidInput(f"--param-range {name}: expected LOW:HIGH[:STEP], got {spec!r}")
    low, high = (_number(part, kind, name) for part in parts[:2])
    step = _number(parts[2], kind, name) if len(parts) == 3 else None
    if low > high:
        raise InvalidInput(f"--param-range {name}: low {low} is above high {high}")
    if step is not None and step <= 0:
        raise InvalidInput(f"--param-range {name}: step must be positive, got {step}")
    minimum, maximum = schema[name].get("min"), schema[name].get("max")
    if isinstance(minimum, int | float) and low < minimum:
        raise InvalidInput(f"--param-range {name}: low {low} is below the minimum {minimum}")
    if isinstance(maximum, int | float) and high > maximum:
        raise InvalidInput(f"--param-range {name}: high {high} is above the maximum {maximum}")
    if step is not None:
        # The last value on the step lattice, so a grid and TPE try the same values.
        high = low + math.floor((high - low) / step + 1e-9) * step
        high = int(high) if kind == "int" else round(high, 12)
    return Dimension(name, kind, low, high, step)


def build_search_space(
    parameters: Sequence[Mapping[str, object]],
    ranges: Sequence[str],
    fixed: Mapping[str, ParameterValue] | None = None,
) -> SearchSpace:
    """Build a space from a strategy schema's ``parameters`` list and ``NAME=...`` range texts.

    Raises
    ------
    InvalidInput
        When a range is invalid, a parameter is ranged twice or both ranged and fixed, or no
        range is given.
    """
    schema = {str(parameter["name"]): parameter for parameter in parameters}
    dimensions: list[Dimension] = []
    for text in ranges:
        dimension = parse_dimension(text, schema)
        if any(existing.name == dimension.name for existing in dimensions):
            raise InvalidInput(f"--param-range {dimension.name} given twice")
        dimensions.append(dimension)
    if not dimensions:
        raise InvalidInput("give at least one --param-range NAME=LOW:HIGH[:STEP]")
    fixed = dict(fixed or {})
    clash = sorted(set(fixed) & {dimension.name for dimension in dimensions})
    if clash:
        raise InvalidInput(f"parameter {clash[0]} is both fixed and searched")
    return SearchSpace(tuple(dimensions), fixed)
