import pytest

from crypto_trader.common import streams, subjects
from crypto_trader.common.errors import InvalidInput


class TestSubjects:
    def test_candle_subject_follows_root_owner_stream_scope(self):
        assert (
            subjects.candles("ct", "binance", "BTC/USDT", "1m")
            == "ct.md.candles.binance.BTC-USDT.1m"
        )

    def test_derivative_symbols_become_one_token(self):
        assert subjects.symbol_token("BTC/USDT:USDT") == "BTC-USDT-USDT"

    @pytest.mark.parametrize("bad", ["a.b", "a b", "*", ">", "$SYS", ""])
    def test_tokens_that_would_change_routing_are_refused(self, bad):
        with pytest.raises(InvalidInput):
            subjects.token(bad)

    def test_every_stream_captures_the_subjects_its_publisher_uses(self):
        root = "t1"
        published = {
            streams.candle_stream(root).name: subjects.candles(root, "binance", "BTC/USDT", "5m"),
            streams.signal_stream(root).name: subjects.signals(root, "paper"),
            streams.approved_order_stream(root).name: subjects.approved_orders(root, "paper"),
            streams.risk_event_stream(root).name: subjects.risk_events(root, "paper"),
            streams.execution_event_stream(root).name: subjects.execution_events(
                root, "paper", "BTC/USDT"
            ),
            streams.portfolio_stream(root).name: subjects.equity(root, "paper"),
            streams.selection_stream(root).name: subjects.selections(root, "paper"),
        }
        for spec in streams.all_streams(root):
            subject = published[spec.name]
            assert any(_matches(pattern, subject) for pattern in spec.subjects), spec.name

    def test_streams_of_different_roots_never_overlap(self):
        names_a = {spec.name for spec in streams.all_streams("ta")}
        names_b = {spec.name for spec in streams.all_streams("tb")}
        assert not names_a & names_b

    def test_root_must_be_a_plain_word(self):
        with pytest.raises(InvalidInput):
            subjects.validate_root("a.b")


def _matches(pattern: str, subject: str) -> bool:
    pattern_tokens, subject_tokens = pattern.split("."), subject.split(".")
    for index, token in enumerate(pattern_tokens):
        if token == ">":
            return len(subject_tokens) > index
        if index >= len(subject_tokens) or (token != "*" and token != subject_tokens[index]):
            return False
    return len(pattern_tokens) == len(subject_tokens)
