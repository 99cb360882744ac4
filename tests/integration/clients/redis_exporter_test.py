"""prometheus-redis-exporter (Debian's) against a running server: the exporter is started on a
free loopback port, /metrics is scraped once, and what it reports is checked against what this
script wrote and what the server says itself (DBSIZE, INFO).

Usage: redis_exporter_test.py PORT EXPORTER_BINARY
Exit status: 0 every check passed, 1 a check failed (each failure is printed).
Only the standard library: a few lines of RESP over a socket, urllib for HTTP.
"""

import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

PORT = int(sys.argv[1])
EXPORTER = sys.argv[2]
failures = []
passes = []


class Resp:
    """A minimal RESP2 client: enough for SET, SELECT, DBSIZE and INFO."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buffer = b""

    def _line(self):
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def _exactly(self, n):
        while len(self.buffer) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n + 2 :]
        return data

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            return None if int(rest) < 0 else self._exactly(int(rest)).decode()
        if kind == b"*":
            return None if int(rest) < 0 else [self._reply() for _ in range(int(rest))]
        raise RuntimeError(f"unexpected reply {line!r}")

    def call(self, *args):
        self.sock.sendall(self._encode(args))
        return self._reply()

    def pipeline(self, commands):
        self.sock.sendall(b"".join(self._encode(c) for c in commands))
        return [self._reply() for _ in commands]

    @staticmethod
    def _encode(args):
        out = [b"*%d\r\n" % len(args)]
        for arg in args:
            data = str(arg).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(data), data))
        return b"".join(out)


def check(condition, message):
    if condition:
        print(f"PASS: {message}")
        passes.append(message)
    else:
        print(f"FAIL: {message}")
        failures.append(message)


def info_field(text, name):
    match = re.search(rf"^{re.escape(name)}:(\S+)", text, re.MULTILINE)
    return match.group(1) if match else None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode()


def start_exporter(log):
    """Starts the exporter on a free port; ready when its /health answers (which does not
    touch the server, so the one scrape below is the server's only visit). Retries on another
    port if the exporter exits (a port taken between free_port() and its bind)."""
    for _ in range(5):
        listen = free_port()
        process = subprocess.Popen(
            [
                EXPORTER,
                f"-redis.addr=redis://127.0.0.1:{PORT}",
                f"-web.listen-address=127.0.0.1:{listen}",
                "-redis-only-metrics",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if http_get(f"http://127.0.0.1:{listen}/health")[0] == 200:
                    return process, listen
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.05)
        if process.poll() is None:
            process.kill()
            process.wait()
            raise RuntimeError(f"the exporter did not answer on port {listen} within 10 s")
        process.wait()
    raise RuntimeError("the exporter did not start")


def parse_metrics(text):
    """{(name, frozenset(labels)): value} of the exposition format's sample lines."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)", line)
        if not match:
            raise RuntimeError(f"unparsable metrics line {line!r}")
        name, labels, value = match.groups()
        pairs = frozenset(re.findall(r'(\w+)="([^"]*)"', labels or ""))
        samples[(name, pairs)] = float(value)
    return samples


def metric(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def main():
    client = Resp(PORT)
    client.call("FLUSHALL")
    client.call("CONFIG", "RESETSTAT")  # the command counts below start from zero
    # db0: 1,500 keys, 40 of them with a TTL; db3: 25 keys; db5 emptied again.
    writes = [("SET", f"k:{i}", i) for i in range(1500)]
    writes += [("EXPIRE", f"k:{i}", 1000) for i in range(40)]
    replies = client.pipeline(writes)
    check(replies == ["OK"] * 1500 + [1] * 40, "1,500 SETs and 40 EXPIREs in db0")
    client.call("SELECT", 3)
    replies = client.pipeline([("SET", f"three:{i}", "v") for i in range(25)])
    check(replies == ["OK"] * 25, "25 SETs in db3")
    client.call("SELECT", 5)
    client.call("SET", "gone", "v")
    client.call("DEL", "gone")
    sizes = {}
    for db in (0, 3, 5):
        client.call("SELECT", db)
        sizes[db] = client.call("DBSIZE")
    client.call("SELECT", 0)
    check(sizes == {0: 1500, 3: 25, 5: 0}, f"DBSIZE of db0, db3, db5: {sizes}")
    before = client.call("INFO", "stats")
    processed_before = int(info_field(before, "total_commands_processed"))

    with tempfile.TemporaryFile() as log:
        exporter, listen = start_exporter(log)
        try:
            status, body = http_get(f"http://127.0.0.1:{listen}/metrics")
        finally:
            exporter.terminate()
            exporter.wait(timeout=10)
        log.seek(0)
        exporter_log = log.read().decode(errors="replace")
    after = client.call("INFO", "stats")
    processed_after = int(info_field(after, "total_commands_processed"))

    check(status == 200, f"/metrics answers 200 (got {status})")
    samples = parse_metrics(body)
    check(metric(samples, "redis_up") == 1, f"redis_up 1 (got {metric(samples, 'redis_up')})")
    scrape_error = [
        v for (name, _), v in samples.items() if name == "redis_exporter_last_scrape_error"
    ]
    check(scrape_error == [0], f"redis_exporter_last_scrape_error 0 (got {scrape_error})")
    # This script's connection and the exporter's own, which is open while it scrapes.
    clients = metric(samples, "redis_connected_clients")
    check(clients == 2, f"redis_connected_clients 2 (got {clients})")
    for db in (0, 3):
        keys = metric(samples, "redis_db_keys", db=f"db{db}")
        check(keys == sizes[db], f"redis_db_keys db{db} = DBSIZE {sizes[db]} (got {keys})")
    db5 = metric(samples, "redis_db_keys", db="db5")
    check(db5 == 0, f"redis_db_keys db5 = 0 (got {db5})")
    expiring = metric(samples, "redis_db_keys_expiring", db="db0")
    check(expiring == 40, f"redis_db_keys_expiring db0 = 40 (got {expiring})")
    # The exporter's figure is read between the two INFOs this script sent.
    processed = metric(samples, "redis_commands_processed_total")
    check(
        processed is not None and processed_before < processed < processed_after,
        f"redis_commands_processed_total {processed} within"
        f" ({processed_before}, {processed_after})",
    )
    sets = metric(samples, "redis_commands_total", cmd="set")
    check(sets == 1500 + 25 + 1, f'redis_commands_total{{cmd="set"}} = 1526 (got {sets})')
    expires = metric(samples, "redis_commands_total", cmd="expire")
    check(expires == 40, f'redis_commands_total{{cmd="expire"}} = 40 (got {expires})')
    version = [dict(labels).get("redis_version") for (name, labels) in samples
               if name == "redis_instance_info"]
    check(len(version) == 1 and version[0], f"redis_instance_info has a redis_version ({version})")
    if failures:
        print("--- exporter log ---")
        print(exporter_log)
    print(f"{len(passes)} of {len(passes) + len(failures)} exporter checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as error:  # a lost connection, an exporter that never answered
        print(f"FAIL: {error!r}")
        sys.exit(1)
