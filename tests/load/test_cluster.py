"""The cluster of ``make cluster`` under load: nginx in front of two gunicorn nodes, two mail workers, SeaweedFS
(when its ``weed`` binary is installed) and a throw-away PostgreSQL; a real SMTP server counts the mail.

One cluster for the module (config/cluster, ``running``), started as ``make cluster`` starts it, with the mail
workers' waits tightened (tests/outbox/smtp.py). The tests run in file order: the last one kills node A.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import re
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from config.cluster import running
from tests.load import harness
from tests.load.test_rush import CSRF_SECRET, MY_ENTRIES, assert_roster_consistent, entries, rush
from tests.outbox.smtp import SmtpServer, wait_for, worker_env

pytestmark = pytest.mark.load


@pytest.fixture(scope="module", autouse=True)
def _nginx():
    """Debian's nginx is the proxy: without it the tests skip with the reason, unless ``REQUIRE_PROXY=1`` (.ci/run
    installs it and sets that)."""
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        reason = "nginx is not installed (apt-get install nginx)"
        if os.environ.get("REQUIRE_PROXY") == "1" or os.environ.get("CI"):
            pytest.fail(f"REQUIRE_PROXY=1 but {reason}")
        pytest.skip(reason)


OWNERS = 150
CAPACITY = 30
MAILED = 12  # sign-ups whose mail is in flight when a worker is killed


@pytest.fixture(scope="module")
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stack(smtp):
    with harness.embedded_database() as db, tempfile.TemporaryDirectory(prefix="onem-cluster-") as run_dir:
        # The workers' settings of the outbox tests, and the key the seeded login sessions are signed with.
        env = {**worker_env(database=db.url, smtp_port=smtp.port), "SECRET_KEY": harness.SECRET_KEY}
        env.update(MEDIA_ROOT=f"{run_dir}/media", PRIVATE_MEDIA_ROOT=f"{run_dir}/private")
        with running(Path(run_dir), env=env) as cluster:
            data = harness.seed(
                db, "owners", "--count", str(OWNERS), "--capacity", str(CAPACITY), "--sessions", "rush,kill,mail"
            )
            yield cluster, db, data


def proxied(cluster) -> list[dict]:
    """The proxy's access log: one JSON object per request (config/cluster/site.conf, ``onem_json``)."""
    log = cluster.run_dir / "logs" / "proxy-access.log"
    return [json.loads(line) for line in log.read_text().splitlines()]


def logged(cluster, keep) -> list[dict]:
    """The proxy's lines that ``keep`` accepts, once there are some: nginx writes a line after its response."""
    wait_for(lambda: any(keep(r) for r in proxied(cluster)), timeout=10, what="the proxy's access line")
    return [r for r in proxied(cluster) if keep(r)]


def logged_all(cluster, keep, count: int) -> list[dict]:
    """The proxy's lines that ``keep`` accepts, once there are ``count`` of them."""
    wait_for(lambda: len(logged(cluster, keep)) >= count, timeout=10, what=f"{count} access lines")
    lines = logged(cluster, keep)
    assert len(lines) == count
    return lines


def node_lines(node) -> list[dict]:
    """The JSON lines of a node's log (gunicorn's own lines are not JSON)."""
    lines = []
    for line in node.log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def sign_up_jobs(cluster, owners):
    return [(owner, cluster.port) for owner in owners]


def mails_since(db, mark) -> list[str]:
    rows = db.query("SELECT message_id FROM outbox_message WHERE created > %s", (mark,))
    return [row[0] for row in rows]


def db_now(db):
    return db.query("SELECT now()")[0][0]


def test_rush_through_the_proxy_is_exact_and_spread_over_both_nodes(stack, smtp):
    cluster, db, data = stack
    mark = db_now(db)

    outcomes = rush(data["event"], "rush", sign_up_jobs(cluster, data["owners"]))

    assert Counter(o.status for o in outcomes) == {302: OWNERS}
    assert all(o.location == MY_ENTRIES for o in outcomes)
    confirmed, waitlisted = assert_roster_consistent(entries(db, data["sessions"]["rush"]), confirmed_max=CAPACITY)
    assert (len(confirmed), len(waitlisted)) == (CAPACITY, OWNERS - CAPACITY)
    # Both nodes answered sign-ups, and nothing answered with a server error.
    signups = logged_all(cluster, lambda r: "/sessions/rush/sign-up/" in r["uri"], OWNERS)
    assert {r["upstream"] for r in signups} == {f"127.0.0.1:{node.port}" for node in cluster.nodes}
    assert all(r["status"] < 500 for r in signups)
    # Every sign-up's mail, delivered by the two workers, each once.
    message_ids = mails_since(db, mark)
    assert len(message_ids) == OWNERS
    wait_for(lambda: set(smtp.counts()) >= set(message_ids), timeout=60, what="the rush's mail delivered")
    assert [smtp.counts()[m] for m in message_ids] == [1] * OWNERS


def test_the_proxys_request_id_reaches_the_nodes_json_log_and_the_response(stack):
    cluster, _db, _data = stack

    response = harness.request(cluster.port, "GET", "/events/")

    assert response.status == 200
    request_id = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)  # nginx's $request_id
    [access] = logged(cluster, lambda r: r["request_id"] == request_id)
    [node] = [n for n in cluster.nodes if f"127.0.0.1:{n.port}" == access["upstream"]]
    [line] = [line for line in node_lines(node) if line.get("request_id") == request_id]
    assert line["message"] == "method=GET path=/events/ status=200"
    assert {"time", "level", "logger"} <= set(line)


def test_metrics_only_at_the_nodes_and_ready_through_the_proxy(stack):
    cluster, _db, _data = stack
    node = cluster.nodes[0]

    through_proxy = harness.request(cluster.port, "GET", "/metrics")
    forwarded = harness.request(node.port, "GET", "/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    direct = harness.request(node.port, "GET", "/metrics")
    ready = harness.request(cluster.port, "GET", "/readyz")

    assert (through_proxy.status, forwarded.status, direct.status) == (404, 404, 200)
    text = direct.body.decode()
    # The node's two gunicorn workers add up (multiprocess mode): the rush's sign-ups answered by this node.
    served = re.search(
        r'django_http_requests_total_by_view_transport_method_total\{method="POST",transport="http",'
        r'view="events:signup"\} (\d+)',
        text,
    )
    answered = [r for r in proxied(cluster) if r["upstream"] == f"127.0.0.1:{node.port}" and "sign-up" in r["uri"]]
    assert served and int(float(served.group(1))) == len(answered)
    assert re.search(r"^onem_mail_queued \d", text, re.MULTILINE)
    assert ready.status == 200
    assert json.loads(ready.body)["ready"] is True


def upload(port: int, owner: dict, image: bytes):
    boundary = "onemclusterboundary"

    def part(name: str, value: bytes, extra: str = "") -> bytes:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"{extra}\r\n\r\n'
        return head.encode() + value + b"\r\n"

    parts = [
        part("csrfmiddlewaretoken", CSRF_SECRET.encode()),
        part("caption", b"Node A"),
        part("image", image, '; filename="car.jpg"\r\nContent-Type: image/jpeg'),
        f"--{boundary}--\r\n".encode(),
    ]
    return harness.request(
        port,
        "POST",
        f"/garage/cars/{owner['car']}/photos/",
        body=b"".join(parts),
        headers={
            "Cookie": f"sessionid={owner['sessionid']}; csrftoken={CSRF_SECRET}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Origin": f"http://127.0.0.1:{port}",
        },
    )


def test_a_photo_uploaded_through_one_node_is_shown_through_the_other(stack):
    cluster, _db, data = stack
    owner = data["owners"][0]
    picture = io.BytesIO()
    # Noise: a photo-sized body (hundreds of KB), which nginx buffers in its temp directory on the way.
    Image.effect_noise((1600, 1200), 80).convert("RGB").save(picture, "JPEG", quality=95)

    assert picture.tell() > 100_000
    uploaded = upload(cluster.port, owner, picture.getvalue())
    [posted] = logged(cluster, lambda r: r["method"] == "POST" and r["uri"].startswith("/garage/cars/"))
    [node_b] = [n for n in cluster.nodes if f"127.0.0.1:{n.port}" != posted["upstream"]]
    page = harness.request(
        node_b.port,
        "GET",
        f"/garage/cars/{owner['car']}/photos/",
        headers={"Cookie": f"sessionid={owner['sessionid']}"},
    )

    assert uploaded.status == 302
    assert page.status == 200
    [src] = re.findall(r'<img src="([^"]+)" class="card-img-top photo-thumb"', page.body.decode())
    image = harness.request(node_b.port, "GET", src)
    assert image.status == 200
    body = image.body
    if cluster.objectstore:  # node B read it from the bucket: no node keeps it on its disk
        assert not [p for p in Path(cluster.env["MEDIA_ROOT"]).rglob("*") if p.is_file()]
    assert Image.open(io.BytesIO(body)).size[0] > 0


def test_a_mail_worker_killed_mid_send_loses_nothing_and_sends_each_mail_once(stack, smtp):
    cluster, db, data = stack
    doomed = cluster.workers[0]
    smtp.handler.delay = 0.3  # each message takes a while: the kill lands mid-conversation
    smtp.handler.data_started.clear()
    mark = db_now(db)

    rush(data["event"], "mail", sign_up_jobs(cluster, data["owners"][:MAILED]))
    # Both workers hold a job (so the one killed is one of them) and a message is on the wire.
    busy = "SELECT count(DISTINCT worker_id) FROM procrastinate_jobs WHERE status = 'doing'"
    wait_for(lambda: db.query(busy)[0][0] == 2, timeout=30, what="both workers sending")
    wait_for(smtp.handler.data_started.is_set, timeout=30, what="a message being sent")
    doomed.kill()

    message_ids = mails_since(db, mark)
    assert len(message_ids) == MAILED
    sent = "SELECT count(*) FROM outbox_message WHERE created > %s AND status = 'sent'"
    wait_for(
        lambda: db.query(sent, (mark,))[0][0] == MAILED, timeout=60, what="every message sent by the other worker"
    )
    smtp.handler.delay = 0
    counts = smtp.counts()
    assert set(message_ids) <= set(counts)
    # The message in flight may have reached the server before the kill: then it came twice, with one
    # Message-ID, by which the reader's server drops the copy (README, "Sending an email").
    assert sum(counts[m] for m in message_ids) - MAILED <= 1


def test_node_a_killed_mid_rush_loses_nothing_the_proxy_sends_the_rest_to_node_b(stack):
    cluster, db, data = stack
    doomed, survivor = cluster.nodes
    killed_at = []

    def kill():
        doomed.kill()
        killed_at.append(datetime.datetime.now().timestamp())

    outcomes = rush(data["event"], "kill", sign_up_jobs(cluster, data["owners"]), after=kill, after_count=OWNERS // 3)

    # No answer was lost or an error: a sign-up that died with node A was sent again to node B by the proxy
    # (config/cluster/site.conf), which either signed up or found the entry A had committed ("already signed up").
    assert killed_at
    assert Counter(o.status for o in outcomes) == {302: OWNERS}
    already = [o for o in outcomes if o.location != MY_ENTRIES]
    assert all(o.location == f"/events/{data['event']}/" for o in already)
    rows = entries(db, data["sessions"]["kill"])
    confirmed, waitlisted = assert_roster_consistent(rows, confirmed_max=CAPACITY)
    assert (len(confirmed), len(waitlisted)) == (CAPACITY, OWNERS - CAPACITY)
    assert {r[3] for r in rows} == {o["user"] for o in data["owners"]}
    # Node A answered nothing after the kill (the log's times are whole seconds, rounded down), and the proxy
    # passed at least one request from A on to B (its upstream lists both).
    log = logged_all(cluster, lambda r: "/sessions/kill/sign-up/" in r["uri"], OWNERS)
    answered_by_a = [r for r in log if r["upstream"].split(", ")[-1] == f"127.0.0.1:{doomed.port}"]
    assert all(datetime.datetime.fromisoformat(r["time"]).timestamp() <= killed_at[0] for r in answered_by_a)
    assert any(r["upstream"] == f"127.0.0.1:{doomed.port}, 127.0.0.1:{survivor.port}" for r in log)
