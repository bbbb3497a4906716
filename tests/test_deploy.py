"""deploy/: the nginx configuration the cluster script generates, and a cluster that survives kill -9 of the replica a respondent is on."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from deploy import cluster as deploy
from harness.browser import chromium
from harness.pg_server import Server
from harness.server import free_port
from survey.campaigns import create_campaign
from survey.instrument import default_instrument
from survey.store import Database
from tests.browser import click_button, expect_text, wait_idle


def _cluster(tmp_path: Path, replicas: int = 3) -> deploy.Cluster:
    return deploy.Cluster(8080, tmp_path, [deploy.Replica(8501 + i, down=i == 1) for i in range(replicas)])


def test_the_generated_configuration_is_valid_for_debians_nginx(tmp_path: Path) -> None:
    cluster = _cluster(tmp_path)
    conf = deploy.write_config(cluster)
    site = (tmp_path / "coherence.conf").read_text()
    assert "server 127.0.0.1:8501 max_fails=1 fail_timeout=10s;" in site
    assert "server 127.0.0.1:8502 max_fails=1 fail_timeout=10s down;" in site
    assert "hash $coherence_route consistent;" in site
    assert "proxy_set_header Upgrade $http_upgrade;" in site and "listen 127.0.0.1:8080;" in site
    assert "${" not in site + conf.read_text()
    # Each location sets its own proxy headers (nginx drops the outer ones there): the app must see the client's address.
    assert site.count("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;") == site.count("\n    location ") == 2
    checked = subprocess.run(
        [deploy.NGINX, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "e.log")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr


def test_more_than_one_replica_needs_postgresql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COHERENCE_DB", str(tmp_path / "one.duckdb"))
    with pytest.raises(deploy.ClusterError, match="PostgreSQL"):
        deploy.start(2, free_port(), free_port(), tmp_path / "run")
    assert not (tmp_path / "run" / deploy.STATE).exists()


def _websockets_on(port: int) -> int:
    """Established connections into a replica's port (nginx's proxied websocket and keep-alive requests)."""
    out = subprocess.run(["ss", "-Htn", "state", "established", f"( sport = :{port} )"], capture_output=True, text=True).stdout
    return len([line for line in out.splitlines() if line.strip()])


@pytest.mark.browser
def test_nginx_serves_two_replicas_and_a_respondent_survives_kill_9_of_theirs(
    pg_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = pg_server.create("deploy")
    monkeypatch.setenv("COHERENCE_DB", url)
    database = Database(url)
    with database.cursor() as con:
        create_campaign(con, "Cluster scan", default_instrument(), campaign_id="cluster")
    database.close()
    instrument = default_instrument()
    first_dim, *rest = instrument.dimensions
    with deploy.running(2, free_port(), free_port(), tmp_path / "run") as cluster, chromium(width=390, height=844) as page:
        page.goto(f"{cluster.url}/survey?c=cluster")
        expect_text(page, instrument.title["en"])
        click_button(page, "Start the survey")
        for attr in instrument.attributes.values():
            page.get_by_label(attr.label["en"]).click()
            page.get_by_role("option", name=list(attr.options.values())[2]["en"]).click()
        click_button(page, "Next")
        for item in first_dim.items:
            page.get_by_role("radiogroup", name=item.text["en"]).get_by_text(instrument.scale.labels["en"][2], exact=True).click()
        click_button(page, "Next")
        expect_text(page, rest[0].label["en"])
        assert "resume=" in page.url
        theirs = max(cluster.replicas, key=lambda r: _websockets_on(r.port))
        with page.expect_websocket(timeout=60_000):  # the page notices and reconnects through nginx to the other replica
            os.kill(theirs.pid, signal.SIGKILL)
        # Streamlit's own reconnect redraws the saved section there, but its form buttons stayed dead in Streamlit 1.67;
        # the URL opened anew (what the respondent does) is a new session on the live replica, which continues.
        page.goto(page.url)
        wait_idle(page, timeout=60_000)
        expect_text(page, rest[0].label["en"], timeout=60_000)
        for dim in rest:
            expect_text(page, dim.label["en"])
            for item in dim.items:
                page.get_by_role("radiogroup", name=item.text["en"]).get_by_text(instrument.scale.labels["en"][4], exact=True).click()
            click_button(page, "Next")
        click_button(page, "Next")  # value at stake: nothing picked
        click_button(page, "Next")  # the outlook: nothing picked
        click_button(page, "Submit my answers")
        expect_text(page, "Thank you!")
    import psycopg

    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM responses WHERE campaign_id = 'cluster'").fetchone() == (1,)
        first_items = [item.id for item in first_dim.items]
        assert conn.execute("SELECT DISTINCT value FROM answers WHERE item_id = ANY(%s)", [first_items]).fetchall() == [(3,)]


def test_the_watch_restarts_a_killed_replica_and_takes_it_back_once_healthy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COHERENCE_DB", str(tmp_path / "one.duckdb"))  # one replica may run on a DuckDB file
    with deploy.running(1, free_port(), free_port(), tmp_path / "run") as cluster:
        replica = cluster.replicas[0]
        killed = replica.pid
        os.kill(killed, signal.SIGKILL)
        assert deploy.watch_once(cluster) == [f"replica {replica.port} had stopped: restarted", f"replica {replica.port} marked down"]
        assert replica.pid != killed
        assert f"127.0.0.1:{replica.port} max_fails=1 fail_timeout=10s down;" in (cluster.run_dir / "coherence.conf").read_text()
        deploy.wait_healthy(replica.url, 120)
        assert deploy.watch_once(cluster) == [f"replica {replica.port} back in"]
        deploy.wait_healthy(cluster.url, 30)
        assert deploy.Cluster.load(cluster.run_dir).replicas[0].pid == replica.pid
    assert not deploy.healthy(cluster.url) and not deploy.healthy(replica.url)
