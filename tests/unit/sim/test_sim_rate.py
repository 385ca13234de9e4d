"""The simulator's peak-rate meter, driven by a fake monotonic clock."""

from __future__ import annotations

from adobe_oauth_operator.sim.rate import PeakRate


def meter_at(times: list[float]) -> PeakRate:
    clock = iter(times)
    meter = PeakRate(monotonic=lambda: next(clock))
    for _ in times:
        meter.record()
    return meter


def test_arrivals_a_second_apart_never_share_a_window() -> None:
    assert meter_at([0.0, 1.0, 2.0, 3.0]).peaks[1.0] == 1


def test_the_densest_second_is_the_peak() -> None:
    meter = meter_at([0.0, 0.1, 0.2, 1.0, 1.9, 1.95, 1.97, 2.0])
    assert meter.snapshot() == {"peak_1s": 4, "peak_10s": 8}


def test_the_ten_second_window_forgets_older_arrivals() -> None:
    assert meter_at([0.0, 5.0, 10.0, 15.0]).snapshot() == {"peak_1s": 1, "peak_10s": 2}


def test_reset_forgets_the_peak() -> None:
    meter = meter_at([0.0, 0.1])
    meter.reset()
    assert meter.snapshot() == {"peak_1s": 0, "peak_10s": 0}
