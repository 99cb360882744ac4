#!/usr/bin/env python3
"""Compares Shale's key specs with a real Redis 7.0's.

Starts shale-server and redis-server on free loopback ports (temporary directories, no
persistence for Redis), then for every command both have:
  - COMMAND INFO's key-specs element (the 9th), in RESP2 and in RESP3, compared as typed
    values (a set is not an array, a bulk string is not a simple string). Redis's key specs
    may carry a "notes" field of prose that Shale does not repeat: a spec that differs only by
    it is counted apart.
  - COMMAND GETKEYSANDFLAGS and COMMAND GETKEYS for sample calls of every command and of every
    subcommand of the containers both have (the fewest arguments and a few more, plus calls
    that exercise counts and keywords), errors included.

Usage: scripts/compare-key-specs.py [--shale build/release/bin/shale-server]
                                    [--redis /usr/bin/redis-server] [-v]
Exit status 0 when everything compared matches (a call only the other server's arity accepts,
such as ZRANK's three-argument form Shale takes from Redis 7.2, is counted apart), 1 when
something differs, 77 when redis-server is not installed.
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time


class Set(tuple):
    pass


class Map(tuple):  # pairs
    pass


class Simple(str):
    pass


class Error(str):
    pass


class Connection:
    def __init__(self, port, protocol):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.file = self.sock.makefile("rb")
        if protocol == 3:
            self.command("HELLO", "3")

    def command(self, *args):
        out = b"*%d\r\n" % len(args)
        for arg in args:
            data = arg.encode()
            out += b"$%d\r\n%s\r\n" % (len(data), data)
        self.sock.sendall(out)
        return self.read()

    def read(self):
        line = self.file.readline()
        kind, rest = line[:1], line[1:-2].decode()
        if kind == b"+":
            return Simple(rest)
        if kind == b"-":
            return Error(rest)
        if kind == b":":
            return int(rest)
        if kind == b"_":
            return None
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self.file.read(n + 2)[:-2].decode()
        if kind in (b"*", b"~"):
            n = int(rest)
            if n < 0:
                return None
            items = tuple(self.read() for _ in range(n))
            return Set(items) if kind == b"~" else items
        if kind == b"%":
            return Map((self.read(), self.read()) for _ in range(int(rest)))
        raise RuntimeError("unexpected reply %r" % line)


def show(value):
    if isinstance(value, Set):
        return "~{" + " ".join(show(v) for v in value) + "}"
    if isinstance(value, Map):
        return "%{" + " ".join(show(k) + ": " + show(v) for k, v in value) + "}"
    if isinstance(value, tuple):
        return "[" + " ".join(show(v) for v in value) + "]"
    if isinstance(value, Simple):
        return "+" + value
    if isinstance(value, Error):
        return "-" + value
    if isinstance(value, str):
        return '"' + value + '"'
    return repr(value)


def typed(value):
    """A comparable form that keeps the reply types."""
    if isinstance(value, (Set, Map, tuple)):
        return (type(value).__name__, tuple(typed(v) for v in value))
    return (type(value).__name__, value)


def without_notes(key_specs, protocol):
    """Redis's key specs without their "notes" entries."""
    out = []
    for spec in key_specs:
        if protocol == 3:
            out.append(Map(pair for pair in spec if pair[0] != "notes"))
        else:
            pairs = [(spec[i], spec[i + 1]) for i in range(0, len(spec), 2)]
            out.append(tuple(x for k, v in pairs if k != "notes" for x in (k, v)))
    return type(key_specs)(out)  # a set in RESP3


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(argv, port):
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            Connection(port, 2).command("PING")
            return process
        except OSError:
            if process.poll() is not None:
                sys.exit("%s exited with %d" % (argv[0], process.returncode))
            time.sleep(0.05)
    process.kill()
    sys.exit("%s did not start" % argv[0])


# Calls that reach keys a count or a keyword places (arguments after the command name).
EXTRA_CALLS = {
    "lmpop": [["2", "a", "b", "LEFT"], ["0", "a", "LEFT"], ["x", "a", "LEFT"]],
    "blmpop": [["0", "2", "a", "b", "LEFT"]],
    "zmpop": [["3", "a", "b", "c", "MIN"], ["4", "a", "MIN"]],
    "bzmpop": [["1", "1", "a", "MAX", "COUNT", "3"]],
    "sintercard": [["2", "a", "b"], ["1", "a", "LIMIT", "3"]],
    "zintercard": [["2", "a", "b", "LIMIT", "1"]],
    "zunion": [["2", "a", "b", "WEIGHTS", "1", "2"]],
    "zinter": [["1", "a"]],
    "zdiff": [["3", "a", "b", "c", "WITHSCORES"]],
    "zunionstore": [["d", "2", "a", "b"], ["d", "0", "a"], ["d", "-1", "a"]],
    "zinterstore": [["d", "1", "a", "AGGREGATE", "MIN"]],
    "zdiffstore": [["d", "2", "a", "b"]],
    "eval": [["return 1", "2", "a", "b", "arg"], ["return 1", "0"], ["return 1", "3", "a"]],
    "eval_ro": [["return 1", "1", "a"]],
    "evalsha": [["abc", "2", "a", "b"]],
    "evalsha_ro": [["abc", "1", "a", "arg"]],
    "georadius": [["k", "0", "0", "1", "km", "STORE", "d"],
                  ["k", "0", "0", "1", "km", "WITHDIST", "STOREDIST", "d"]],
    "georadiusbymember": [["k", "m", "1", "km", "STORE", "d"],
                          ["k", "m", "1", "km", "STOREDIST", "d"]],
    "sort": [["k", "BY", "w_*", "GET", "#", "STORE", "d"], ["k", "STORE", "d", "STORE", "e"],
             ["k", "LIMIT", "0", "1"], ["k", "store"]],
    "sort_ro": [["k", "BY", "w_*"]],
    "set": [["k", "v", "GET"], ["k", "v", "EX", "10"], ["k", "v", "get", "nx"]],
    "bitfield": [["k", "GET", "u8", "0"], ["k", "SET", "u8", "0", "1"],
                 ["k", "GET", "u8", "0", "OVERFLOW", "SAT"], ["k", "GET", "u8"],
                 ["k", "OVERFLOW", "WRAP", "INCRBY", "u8", "0", "1"]],
    "xread": [["COUNT", "2", "STREAMS", "a", "b", "0", "0"], ["STREAMS", "a"],
              ["BLOCK", "0", "STREAMS", "a", "0"]],
    "xreadgroup": [["GROUP", "g", "c", "STREAMS", "a", "0"], ["GROUP", "g", "c", "STREAMS", "a"]],
    "mset": [["a", "1", "b", "2"]],
    "lmove": [["k1", "k2", "left", "right"]],
    "object": [["encoding", "k"], ["nosuch", "k"], ["help", "x"], ["ENCODING"]],
    "memory": [["usage", "k", "SAMPLES", "5"]],
    "xgroup": [["create", "k", "g", "$", "MKSTREAM"], ["help", "x"]],
    "xinfo": [["stream", "k", "FULL"]],
}


def sample_calls(name, arity, subcommand=None):
    prefix = [name] + ([subcommand] if subcommand else [])
    fewest = abs(arity)
    counts = [fewest - 1, fewest] + ([fewest + 1, fewest + 2, fewest + 3, fewest + 6]
                                      if arity < 0 else [fewest + 1])
    calls = []
    for count in counts:
        words = list(prefix)
        while len(words) < count:
            words.append("a%d" % len(words))
        if len(words) == count:
            calls.append(words)
    if not subcommand:
        calls += [[name] + extra for extra in EXTRA_CALLS.get(name, [])]
    return calls


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser()
    parser.add_argument("--shale", default=os.path.join(root, "build/release/bin/shale-server"))
    parser.add_argument("--redis", default=shutil.which("redis-server") or "/usr/bin/redis-server")
    parser.add_argument("-v", "--verbose", action="store_true")
    options = parser.parse_args()
    if not os.access(options.redis, os.X_OK):
        print("compare-key-specs: skipped: no redis-server at %s" % options.redis)
        return 77

    work = tempfile.mkdtemp(prefix="key-specs-")
    shale_port, redis_port = free_port(), free_port()
    os.makedirs(os.path.join(work, "shale"))
    os.makedirs(os.path.join(work, "redis"))
    processes = [
        start([options.shale, "--port", str(shale_port), "--bind", "127.0.0.1", "--dir",
               os.path.join(work, "shale")], shale_port),
        start([options.redis, "--port", str(redis_port), "--bind", "127.0.0.1", "--dir",
               os.path.join(work, "redis"), "--save", "", "--appendonly", "no"], redis_port),
    ]
    failures = 0
    try:
        shale = {p: Connection(shale_port, p) for p in (2, 3)}
        redis = {p: Connection(redis_port, p) for p in (2, 3)}
        names = sorted(n for n in shale[2].command("COMMAND", "LIST") if "|" not in n)
        exact = by_notes = differ = missing = 0
        both = []
        for name in names:
            info = {p: (shale[p].command("COMMAND", "INFO", name)[0],
                        redis[p].command("COMMAND", "INFO", name)[0]) for p in (2, 3)}
            if info[2][1] is None:
                missing += 1
                if options.verbose:
                    print("only in Shale: %s" % name)
                continue
            both.append((name, info[3][1]))
            same = all(typed(info[p][0][8]) == typed(info[p][1][8]) for p in (2, 3))
            same_but_notes = all(
                typed(info[p][0][8]) == typed(without_notes(info[p][1][8], p)) for p in (2, 3))
            if same:
                exact += 1
            elif same_but_notes:
                by_notes += 1
                if options.verbose:
                    print("%s: differs only by Redis's notes" % name)
            else:
                differ += 1
                print("%s: key specs differ\n  shale: %s\n  redis: %s" %
                      (name, show(info[3][0][8]), show(info[3][1][8])))
        print("COMMAND INFO key specs, %d commands in both (RESP2 and RESP3): %d identical, "
              "%d identical but for Redis's notes, %d differ; %d only in Shale" %
              (len(both), exact, by_notes, differ, missing))
        failures += differ

        calls = []
        for name, redis_info in both:
            calls += sample_calls(name, redis_info[1])
            for sub in redis_info[9]:
                calls += sample_calls(name, sub[1], sub[0].split("|", 1)[1])
        for name in ("object", "memory", "xgroup", "xinfo"):
            if name in [n for n, _ in both]:
                calls += [[name] + extra for extra in EXTRA_CALLS[name]]
        same_calls = by_arity = 0
        arity_error = "ERR Invalid number of arguments specified for command"
        for call in calls:
            for sub in ("GETKEYSANDFLAGS", "GETKEYS"):
                for p in (2, 3):
                    ours = shale[p].command("COMMAND", sub, *call)
                    theirs = redis[p].command("COMMAND", sub, *call)
                    text = "COMMAND %s %s (RESP%d)\n  shale: %s\n  redis: %s" % (
                        sub, " ".join(call), p, show(ours), show(theirs))
                    if typed(ours) == typed(theirs):
                        same_calls += 1
                    elif arity_error in (ours, theirs):
                        # The command's arity differs (Shale follows a later Redis there,
                        # e.g. ZRANK's WITHSCORE): not a key-spec matter.
                        by_arity += 1
                        if options.verbose:
                            print(text)
                    else:
                        failures += 1
                        print(text)
        print("COMMAND GETKEYSANDFLAGS/GETKEYS: %d sample calls, %d of %d replies identical, "
              "%d differ by the command's arity only" %
              (len(calls), same_calls, len(calls) * 4, by_arity))
    finally:
        for process in processes:
            process.terminate()
            process.wait()
        shutil.rmtree(work, ignore_errors=True)
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
