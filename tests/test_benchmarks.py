"""The benchmark scripts run end to end on a small scale and report consistent figures (their real
figures are measured by hand and recorded in the notes: a timing goal never belongs in a unit test)."""
import pytest

from benchmarks import intake, pages_at_scale, sweep_scaling, transition
from benchmarks.common import cleanup, fresh_database, serve, timed_load


def test_transition_benchmark_reports_both_sides_and_their_ratio():
    result = transition.main(40, 2)
    assert result["transitions"] == 40 and result["service_per_s"] > 0 and result["bare_machine_send_per_s"] > 0
    # the ratio is taken before the figures are rounded (small runs: a few per cent apart)
    assert result["ratio"] == pytest.approx(result["service_per_s"] / result["bare_machine_send_per_s"], rel=0.05)


def test_intake_benchmark_serves_both_apps_and_reports_latencies():
    result = intake.main(40, 4, 2)
    for side in ("bare", "intake"):
        figures = result[side]
        assert figures["req_per_s"] > 0 and 0 < figures["p50_ms"] <= figures["p99_ms"]
        assert figures["server_cpu_ms_per_req"] > 0
    ratio = result["intake"]["req_per_s"] / result["bare"]["req_per_s"]
    assert result["ratio"] == pytest.approx(ratio, rel=0.05, abs=0.01)
    assert result["api_rss_mb_after"] > 20


def test_sweep_benchmark_advances_every_due_deadline_and_shows_the_index():
    result = sweep_scaling.main(600, 300, 50)
    assert (result["small"]["due"], result["large"]["due"]) == (50, 50)
    assert any("ix_deadline_status_next_action" in line for line in result["plan"])


def test_the_load_generator_counts_every_answer_and_stops_at_a_refused_request():
    url, database = fresh_database()
    database.dispose()
    server, base = serve("benchmarks.bare_app:app", url)
    try:
        _, latencies = timed_load("POST", f"{base}/rows", requests=30, concurrency=4, body={"facts": "举报"})
        assert len(latencies) == 30
        with pytest.raises(RuntimeError, match="404"):
            timed_load("POST", f"{base}/no-such-path", requests=3, concurrency=1, body={})
    finally:
        server.terminate()
        server.wait()
        cleanup(url)


def test_pages_benchmark_loads_every_page_as_a_logged_in_chief():
    result = pages_at_scale.main(6000)
    assert result["cases"] == 6000 and result["overdue"] == 600
    timings = {**result["page_ms"], **result["api_ms"]}
    assert set(timings) == set(pages_at_scale.PAGES) | set(pages_at_scale.API)
    assert all(ms > 0 for ms in timings.values())
