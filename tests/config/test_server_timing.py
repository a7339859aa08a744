"""Every response says how long the server spent on it, and how much of that on the database."""

import pytest

from bench.load import _timing_ms


@pytest.mark.django_db
def test_a_response_times_the_request_and_its_database_calls(client, annotator, make_digits_project):
    project = make_digits_project(per_class=2)
    client.force_login(annotator)

    header = client.get(f"/api/projects/{project.pk}/next-item/")["Server-Timing"]

    app, database = _timing_ms(header, "app"), _timing_ms(header, "db")
    assert app is not None and database is not None and 0 < database <= app
    assert int(header.split('desc="')[1].split(" ")[0]) >= 3  # the session, the project, the lease at least


def test_the_load_benchmark_reads_each_metric_of_the_header():
    header = 'app;dur=12.50, db;dur=4.25;desc="9 queries"'
    assert (_timing_ms(header, "app"), _timing_ms(header, "db"), _timing_ms(header, "cache")) == (12.5, 4.25, None)
    assert _timing_ms(None, "app") is None
