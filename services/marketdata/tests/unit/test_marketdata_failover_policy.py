"""The failover policy: switch on failure, back off exponentially, return to the preferred one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto_trader.common.clock import FakeClock
from crypto_trader.common.errors import InvalidInput
from crypto_trader.marketdata.domain.failover import FailoverPolicy


def _policy(*providers: str, probe_interval_ms: int = 0) -> FailoverPolicy:
    return FailoverPolicy(
        "BTC/USDT",
        providers or ("binance", "okx", "kraken"),
        base_backoff_ms=1_000,
        max_backoff_ms=8_000,
        probe_interval_ms=probe_interval_ms,
    )


class TestFailoverPolicy:
    def test_starts_on_the_preferred_provider(self) -> None:
        policy = _policy()

        assert policy.current == "binance"
        assert policy.probe_due(0) is None
        assert policy.wait_ms(0) == 0

    def test_a_retryable_failure_switches_to_the_next_provider_and_reports_it(self) -> None:
        clock = FakeClock(10_000)
        policy = _policy()

        switch = policy.record_failure("binance", clock.now_ms(), "503 unavailable")

        assert switch is not None
        assert (switch.from_provider, switch.to_provider) == ("binance", "okx")
        assert switch.reason == "503 unavailable"
        assert switch.at_ms == 10_000
        assert policy.current == "okx"

    def test_the_failed_provider_is_probed_only_after_its_backoff(self) -> None:
        clock = FakeClock(0)
        policy = _policy()
        policy.record_failure("binance", clock.now_ms(), "down")

        clock.advance(999)
        assert policy.probe_due(clock.now_ms()) is None
        clock.advance(1)
        assert policy.probe_due(clock.now_ms()) == "binance"

    def test_backoff_doubles_with_each_failed_probe_and_is_capped(self) -> None:
        clock = FakeClock(0)
        policy = _policy()
        waits = []
        policy.record_failure("binance", clock.now_ms(), "down")
        for _ in range(6):
            started = clock.now_ms()
            while policy.probe_due(clock.now_ms()) != "binance":
                clock.advance(100)
            waits.append(clock.now_ms() - started)
            assert policy.record_failure("binance", clock.now_ms(), "still down") is None

        assert waits == [1_000, 2_000, 4_000, 8_000, 8_000, 8_000]
        assert policy.current == "okx"

    def test_returns_to_the_preferred_provider_when_it_recovers(self) -> None:
        clock = FakeClock(0)
        policy = _policy()
        policy.record_failure("binance", clock.now_ms(), "down")
        clock.advance(1_000)
        probe = policy.probe_due(clock.now_ms())

        switch = policy.record_success(probe or "", clock.now_ms())

        assert switch is not None
        assert (switch.from_provider, switch.to_provider, switch.reason) == (
            "okx",
            "binance",
            "recovered",
        )
        assert policy.current == "binance"
        # Recovered means forgiven: the next failure starts the backoff from the base again.
        policy.record_failure("binance", clock.now_ms(), "down again")
        assert policy.probe_due(clock.now_ms() + 1_000) == "binance"

    def test_probes_are_spaced_by_the_probe_interval(self) -> None:
        policy = _policy(probe_interval_ms=30_000)
        policy.record_failure("binance", 0, "down")

        assert policy.probe_due(1_000) == "binance"
        policy.record_failure("binance", 1_000, "down")  # backoff now 2 s, but the interval rules
        assert policy.probe_due(5_000) is None
        assert policy.probe_due(31_000) == "binance"

    def test_skips_providers_in_backoff_and_waits_when_all_are_down(self) -> None:
        policy = _policy()
        policy.record_failure("binance", 0, "down")
        policy.record_failure("okx", 0, "down")
        assert policy.current == "kraken"

        switch = policy.record_failure("kraken", 500, "down")

        # All three back off; the one whose backoff ends first (binance, at 1 s) serves next.
        assert switch is not None and switch.to_provider == "binance"
        assert policy.wait_ms(500) == 500
        assert policy.wait_ms(1_000) == 0

    def test_a_failure_of_a_provider_not_serving_changes_nothing_but_its_backoff(self) -> None:
        policy = _policy()

        assert policy.record_failure("kraken", 0, "down") is None
        assert policy.current == "binance"

    def test_a_single_provider_stays_current_and_backs_off(self) -> None:
        policy = _policy("binance")

        assert policy.record_failure("binance", 0, "down") is None
        assert policy.wait_ms(0) == 1_000

    @pytest.mark.parametrize("providers", [(), ("okx", "okx")])
    def test_rejects_an_empty_or_repeating_provider_list(self, providers: tuple[str, ...]) -> None:
        with pytest.raises(InvalidInput):
            FailoverPolicy("BTC/USDT", providers)


@given(failures=st.integers(min_value=0, max_value=200))
def test_backoff_never_exceeds_the_cap_and_never_shrinks(failures: int) -> None:
    policy = _policy()

    assert 0 <= policy.backoff_ms(failures) <= 8_000
    assert policy.backoff_ms(failures) <= policy.backoff_ms(failures + 1)
