"""The strategy registry: built-ins, user strategies from a folder, and the ones that fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from crypto_trader.common.errors import InvalidInput
from crypto_trader.strategy.adapters.strategy_files import load_strategies_dir
from crypto_trader.strategy.domain.framework import BUILT_INS
from crypto_trader.strategy.domain.registry import StrategyRegistry

GOOD = '''
"""A user strategy: buy every tenth candle, sell the fifth after it."""
from typing import ClassVar

import numpy as np

from crypto_trader.strategy.domain.framework import BaseStrategy, Parameter, Signal, SignalFrame


class EveryTenth(BaseStrategy):
    name: ClassVar[str] = "every_tenth"
    description: ClassVar[str] = "Buys every tenth candle."
    parameters: ClassVar[tuple[Parameter, ...]] = (Parameter("step", "int", 10, 2, 100),)

    @property
    def warmup(self) -> int:
        return 0

    def generate(self, frame):
        index = np.arange(len(frame))
        step = self.params["step"]
        none = np.zeros(len(frame), dtype=bool)
        return SignalFrame(index % step == 0, index % step == 5, none, none.copy())

    def reset(self) -> None:
        self._seen = 0

    def on_candle(self, bar):
        index, self._seen = self._seen, self._seen + 1
        step = self.params["step"]
        if index % step == 0:
            return Signal(enter_long=True)
        return Signal(exit_long=True) if index % step == 5 else None


class CrashesOnData(EveryTenth):
    name: ClassVar[str] = "crashes_on_data"

    def on_candle(self, bar):
        raise ZeroDivisionError("boom")
'''

BROKEN = "import numpy as np\nraise RuntimeError('cannot load me')\n"


@pytest.fixture
def strategies_dir(tmp_path: Path) -> Path:
    (tmp_path / "every_tenth.py").write_text(GOOD)
    (tmp_path / "broken.py").write_text(BROKEN)
    (tmp_path / "clash.py").write_text(
        "from crypto_trader.strategy.domain.framework import SmaCross\n\n"
        "class Shadow(SmaCross):\n    pass\n\n"
        "class Renamed(SmaCross):\n    name = 'sma_cross'\n"
    )
    (tmp_path / "notes.txt").write_text("not a module")
    return tmp_path


class TestStrategyRegistry:
    def test_holds_every_built_in_with_its_schema(self) -> None:
        registry = StrategyRegistry.with_built_ins()

        assert [e.name for e in registry.entries()] == sorted(BUILT_INS)
        assert all(not e.failed for e in registry.entries())
        assert registry.strategy_class("macd_trend").schema()["parameters"]

    def test_loads_good_user_strategies_and_reports_the_ones_that_fail(
        self, strategies_dir: Path
    ) -> None:
        registry = StrategyRegistry.with_built_ins()

        load_strategies_dir(strategies_dir, registry)

        entries = {e.name: e for e in registry.entries()}
        assert not entries["every_tenth"].failed
        assert registry.create("every_tenth", {"step": "4"}).params == {"step": 4}
        assert entries["broken"].failed
        assert "RuntimeError: cannot load me" in entries["broken"].description
        assert entries["crashes_on_data"].failed
        assert "ZeroDivisionError: boom" in entries["crashes_on_data"].error
        shadowed = [e for n, e in entries.items() if n.startswith("sma_cross@")]
        assert shadowed and all(e.failed for e in shadowed)
        assert registry.strategy_class("sma_cross") is BUILT_INS["sma_cross"]
        assert set(BUILT_INS) <= set(entries)

    def test_asking_for_a_failed_or_unknown_strategy_says_why(self, strategies_dir: Path) -> None:
        registry = StrategyRegistry.with_built_ins()
        load_strategies_dir(strategies_dir, registry)

        with pytest.raises(InvalidInput, match="cannot load me"):
            registry.strategy_class("broken")
        with pytest.raises(InvalidInput, match="unknown strategy"):
            registry.strategy_class("martingale")

    def test_a_missing_folder_loads_nothing(self, tmp_path: Path) -> None:
        registry = StrategyRegistry.with_built_ins()

        assert load_strategies_dir(tmp_path / "absent", registry) == []
        assert len(registry.entries()) == len(BUILT_INS)
