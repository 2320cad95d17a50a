"""Walk-forward windows: in-sample candles to optimise on, then out-of-sample ones after them."""

from __future__ import annotations

from dataclasses import dataclass

from crypto_trader.common.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class WalkForwardConfig:
    """Window sizes in candles; anchored windows keep the in-sample start at the first candle."""

    in_sample: int
    out_of_sample: int
    anchored: bool = False

    def __post_init__(self) -> None:
        if self.in_sample < 1 or self.out_of_sample < 1:
            raise InvalidInput(
                "walk-forward windows need at least one candle each, got "
                f"{self.in_sample}:{self.out_of_sample}"
            )

    @classmethod
    def parse(cls, text: str, *, anchored: bool = False) -> WalkForwardConfig:
        """Parse ``IS:OOS`` (sizes in candles).

        Raises
        ------
        InvalidInput
            When the text is not two positive integers.
        """
        parts = text.split(":")
        try:
            in_sample, out_of_sample = (int(part) for part in parts)
        except ValueError:
            raise InvalidInput(f"--walk-forward must be IS:OOS in candles, got {text!r}") from None
        return cls(in_sample, out_of_sample, anchored)

    def as_dict(self) -> dict[str, object]:
        """Return the config as a JSON-ready dict."""
        return {
            "in_sample": self.in_sample,
            "out_of_sample": self.out_of_sample,
            "anchored": self.anchored,
        }


@dataclass(frozen=True, slots=True)
class Window:
    """One walk-forward step as half-open candle index ranges ``[start, end)``."""

    index: int
    in_sample_start: int
    in_sample_end: int
    out_of_sample_start: int
    out_of_sample_end: int

    def as_dict(self) -> dict[str, int]:
        """Return the window as a JSON-ready dict."""
        return {
            "index": self.index,
            "in_sample_start": self.in_sample_start,
            "in_sample_end": self.in_sample_end,
            "out_of_sample_start": self.out_of_sample_start,
            "out_of_sample_end": self.out_of_sample_end,
        }


def walk_forward_windows(count: int, config: WalkForwardConfig) -> list[Window]:
    """Split ``count`` candles into windows whose out-of-sample parts tile the data after the first
    in-sample part, each one starting where its in-sample part ends (a partial last one is dropped).

    Raises
    ------
    InvalidInput
        When not even one full window fits.
    """
    windows: list[Window] = []
    start = config.in_sample
    while start + config.out_of_sample <= count:
        windows.append(
            Window(
                index=len(windows),
                in_sample_start=0 if config.anchored else start - config.in_sample,
                in_sample_end=start,
                out_of_sample_start=start,
                out_of_sample_end=start + config.out_of_sample,
            )
        )
        start += config.out_of_sample
    if not windows:
        raise InvalidInput(
            f"walk-forward {config.in_sample}:{config.out_of_sample} needs at least "
            f"{config.in_sample + config.out_of_sample} candles, the data has {count}"
        )
    return windows
