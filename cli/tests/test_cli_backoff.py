from crypto_trader.cli.supervisor import Backoff


class TestBackoff:
    def test_doubles_from_half_a_second_up_to_ten_seconds(self) -> None:
        backoff = Backoff()

        delays = [backoff.delay_after(uptime=1.0) for _ in range(8)]

        assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]

    def test_resets_after_thirty_seconds_up(self) -> None:
        backoff = Backoff()
        for _ in range(5):
            backoff.delay_after(uptime=2.0)

        assert backoff.delay_after(uptime=30.0) == 0.5
        assert backoff.delay_after(uptime=0.1) == 1.0

    def test_short_runs_keep_growing_the_delay(self) -> None:
        backoff = Backoff()

        backoff.delay_after(uptime=29.9)

        assert backoff.delay_after(uptime=29.9) == 1.0

    def test_limits_are_configurable(self) -> None:
        backoff = Backoff(initial=0.1, maximum=0.3, factor=3.0, reset_after=1.0)

        assert [backoff.delay_after(uptime=0.0) for _ in range(3)] == [0.1, 0.3, 0.3]
        assert backoff.delay_after(uptime=1.0) == 0.1
