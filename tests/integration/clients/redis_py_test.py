"""redis-py against a running server: transactions (pipeline, WATCH with a retry, DISCARD),
plain pipelines, SET's TTL options, the EXPIRE family, GETEX/GETDEL, MSET/MGET over many keys,
SCAN iteration (over 20,000 keys too) and DEL, a connection pool shared by 20 threads, and
Pub/Sub, each through the library's own API and with its results asserted.

Usage: redis_py_test.py PORT
Exit status: 0 every check passed, 1 a check failed (each failure is printed).
"""

import datetime
import sys
import threading
import time
import traceback

import redis

PORT = int(sys.argv[1])
FAR_SECONDS = 4102444800  # 2100-01-01T00:00:00Z: a deadline no test outlives


def connect(**kwargs):
    return redis.Redis(
        host="127.0.0.1", port=PORT, decode_responses=True, socket_timeout=30, **kwargs
    )


r = connect()


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def equal(actual, expected, what):
    check(actual == expected, f"{what}: expected {expected!r}, got {actual!r}")


def within(value, low, high, what):
    check(low <= value <= high, f"{what}: expected {low}..{high}, got {value!r}")


def raises(error_type, text, call, what):
    """Runs call(); it must raise error_type with `text` in its message."""
    try:
        result = call()
    except error_type as error:
        check(text in str(error), f"{what}: error {str(error)!r} does not contain {text!r}")
        return error
    raise AssertionError(f"{what}: expected {error_type.__name__}, got result {result!r}")


def server_time_ms():
    seconds, micros = r.time()
    return seconds * 1000 + micros // 1000


def wait_for_server_time_past(deadline_ms):
    """Waits (at most 10 s) until the server's clock has passed deadline_ms."""
    limit = time.monotonic() + 10
    while server_time_ms() <= deadline_ms:
        check(time.monotonic() < limit, f"the server's clock did not pass {deadline_ms}")
        time.sleep(0.02)


# --- transactions ---


def test_pipeline_is_a_transaction():
    with r.pipeline() as pipe:  # transaction=True: MULTI ... EXEC
        pipe.set("tx:a", "1")
        pipe.get("tx:a")
        pipe.mset({"tx:b": "2", "tx:c": "3"})
        pipe.mget("tx:a", "tx:b", "tx:c", "tx:missing")
        pipe.delete("tx:b")
        pipe.exists("tx:a", "tx:b", "tx:c")
        pipe.set("tx:d", "4", ex=100)
        pipe.ttl("tx:d")
        results = pipe.execute()
    equal(results, [True, "1", True, ["1", "2", "3", None], 1, 2, True, 100], "transaction results")
    equal(r.mget("tx:a", "tx:b", "tx:c", "tx:d"), ["1", None, "3", "4"], "after the transaction")

    # Chained form, as in redis-py's documentation.
    results = r.pipeline().set("tx:e", "5").get("tx:e").getdel("tx:e").get("tx:e").execute()
    equal(results, [True, "5", "5", None], "chained transaction")


def test_transaction_with_a_queueing_error_applies_nothing():
    r.set("abort:kept", "before")
    with r.pipeline() as pipe:
        pipe.set("abort:kept", "after")
        pipe.set("abort:new", "x")
        pipe.execute_command("SET", "abort:bad")  # wrong number of arguments: refused when queued
        raises(
            redis.exceptions.ResponseError, "wrong number of arguments", pipe.execute, "EXECABORT"
        )
    equal(r.get("abort:kept"), "before", "a key written in the aborted transaction")
    equal(r.exists("abort:new"), 0, "a key created in the aborted transaction")


def test_transaction_with_a_runtime_error_applies_the_rest():
    with r.pipeline() as pipe:
        pipe.set("rt:a", "1")
        pipe.execute_command("EXPIRE", "rt:a", "not-a-number")  # fails when EXEC runs it
        pipe.set("rt:b", "2")
        results = pipe.execute(raise_on_error=False)
    equal(len(results), 3, "number of results")
    equal(results[0], True, "first result")
    check(isinstance(results[1], redis.exceptions.ResponseError), f"second result: {results[1]!r}")
    check("not an integer" in str(results[1]), f"second result's text: {results[1]}")
    equal(results[2], True, "third result")
    equal(r.mget("rt:a", "rt:b"), ["1", "2"], "the commands around the failed one")
    equal(r.ttl("rt:a"), -1, "TTL after the failed EXPIRE")


def test_transaction_retries_after_a_concurrent_change():
    r.set("watch:counter", "10")
    other = connect()
    calls = []

    def increment(pipe):
        calls.append(1)
        value = int(pipe.get("watch:counter"))  # immediate mode: WATCH has been sent
        if len(calls) == 1:
            other.set("watch:counter", "100")  # a concurrent writer: EXEC must fail
        pipe.multi()
        pipe.set("watch:counter", str(value + 1))
        pipe.get("watch:counter")

    results = r.transaction(increment, "watch:counter")
    equal(len(calls), 2, "calls of the transaction function (one retry after WatchError)")
    equal(results, [True, "101"], "results of the retried transaction")
    equal(r.get("watch:counter"), "101", "counter after the transaction")

    # value_from_callable: the function's return value instead of EXEC's.
    def read_and_set(pipe):
        old = pipe.get("watch:counter")
        pipe.multi()
        pipe.set("watch:counter", "0")
        return old

    equal(
        r.transaction(read_and_set, "watch:counter", value_from_callable=True),
        "101",
        "value_from_callable",
    )
    equal(r.get("watch:counter"), "0", "counter after value_from_callable")
    other.close()


def test_watch_error_and_unwatch():
    other = connect()
    r.set("w:key", "original")
    with r.pipeline() as pipe:
        pipe.watch("w:key")
        equal(pipe.get("w:key"), "original", "GET while watching")
        other.set("w:key", "changed")
        pipe.multi()
        pipe.set("w:key", "mine")
        raises(redis.exceptions.WatchError, "", pipe.execute, "EXEC after a watched key changed")
    equal(r.get("w:key"), "changed", "the watched key after the failed EXEC")

    # A watched key that is deleted or given a TTL counts as changed, too.
    for change in (lambda: other.delete("w:key"), lambda: other.expire("w:key", 100)):
        r.set("w:key", "original")
        with r.pipeline() as pipe:
            pipe.watch("w:key")
            change()
            pipe.multi()
            pipe.set("w:other", "x")
            raises(redis.exceptions.WatchError, "", pipe.execute, "EXEC after DEL/EXPIRE")
        equal(r.exists("w:other"), 0, "a key of the failed transaction")

    # After UNWATCH a change no longer aborts the transaction.
    r.set("w:key", "original")
    with r.pipeline() as pipe:
        pipe.watch("w:key")
        pipe.unwatch()
        other.set("w:key", "changed")
        pipe.multi()
        pipe.set("w:key", "mine")
        equal(pipe.execute(), [True], "EXEC after UNWATCH")
    equal(r.get("w:key"), "mine", "the key after UNWATCH and EXEC")

    # Watching a key nobody changes: the transaction commits.
    with r.pipeline() as pipe:
        pipe.watch("w:key", "w:missing")
        pipe.multi()
        pipe.set("w:missing", "now")
        equal(pipe.execute(), [True], "EXEC with unchanged watched keys")
    equal(r.get("w:missing"), "now", "the key set by the committed transaction")
    other.close()


def test_discard():
    # MULTI state lives on one connection: drive one directly, without reply callbacks.
    connection = r.connection_pool.get_connection("MULTI")
    try:

        def command(*args):
            connection.send_command(*args)
            try:
                return connection.read_response()
            except redis.exceptions.ResponseError as error:
                return error

        equal(command("MULTI"), "OK", "MULTI")
        equal(command("SET", "discard:k", "v"), "QUEUED", "SET in MULTI")
        equal(command("GET", "discard:k"), "QUEUED", "GET in MULTI")
        equal(command("DISCARD"), "OK", "DISCARD")
        equal(command("GET", "discard:k"), None, "a key set in a discarded transaction")
        equal(str(command("DISCARD")), "DISCARD without MULTI", "DISCARD outside MULTI")
        equal(str(command("EXEC")), "EXEC without MULTI", "EXEC outside MULTI")
        equal(command("MULTI"), "OK", "MULTI again")
        equal(str(command("MULTI")), "MULTI calls can not be nested", "nested MULTI")
        equal(command("SET", "discard:k", "w"), "QUEUED", "SET in the second MULTI")
        equal(command("EXEC"), ["OK"], "EXEC of the second MULTI")
    finally:
        r.connection_pool.release(connection)
    equal(r.get("discard:k"), "w", "the key set by the second transaction")


def test_pipeline_without_transaction():
    with r.pipeline(transaction=False) as pipe:
        for i in range(200):
            pipe.set(f"pipe:{i}", str(i))
        for i in range(200):
            pipe.get(f"pipe:{i}")
        results = pipe.execute()
    equal(results[:200], [True] * 200, "SET results")
    equal(results[200:], [str(i) for i in range(200)], "GET results")

    # Without MULTI an error does not stop the other commands.
    with r.pipeline(transaction=False) as pipe:
        pipe.set("pipe:x", "1")
        pipe.execute_command("SET", "pipe:bad")
        pipe.set("pipe:y", "2")
        results = pipe.execute(raise_on_error=False)
    equal(results[0], True, "first result")
    check(isinstance(results[1], redis.exceptions.ResponseError), f"second result: {results[1]!r}")
    equal(results[2], True, "third result")
    equal(r.mget("pipe:x", "pipe:y"), ["1", "2"], "keys around the failed command")


# --- TTL ---


def test_set_options():
    equal(r.set("s:k", "v1", ex=100), True, "set ex")
    within(r.ttl("s:k"), 99, 100, "ttl after set ex")
    equal(r.set("s:k", "v2", px=50000), True, "set px")
    within(r.pttl("s:k"), 48000, 50000, "pttl after set px")
    equal(r.set("s:k", "v3", keepttl=True), True, "set keepttl")
    within(r.pttl("s:k"), 1, 50000, "pttl after set keepttl")
    equal(r.get("s:k"), "v3", "value after keepttl")
    equal(r.set("s:k", "v4"), True, "plain set")
    equal(r.ttl("s:k"), -1, "ttl after a plain set")
    equal(r.set("s:k", "v5", ex=datetime.timedelta(seconds=30)), True, "set ex=timedelta")
    within(r.ttl("s:k"), 29, 30, "ttl after ex=timedelta")

    equal(r.set("s:k", "no", nx=True), None, "set nx on an existing key")
    equal(r.set("s:new", "v", nx=True, ex=100), True, "set nx ex on a new key")
    within(r.ttl("s:new"), 99, 100, "ttl after set nx ex")
    equal(r.set("s:missing", "v", xx=True), None, "set xx on a missing key")
    equal(r.exists("s:missing"), 0, "key after set xx on a missing key")
    equal(r.set("s:k", "v6", xx=True), True, "set xx on an existing key")
    equal(r.ttl("s:k"), -1, "ttl after set xx")

    equal(r.set("s:k", "v7", get=True), "v6", "set get")
    equal(r.set("s:k", "v8", ex=10, get=True), "v7", "set ex get")
    within(r.ttl("s:k"), 9, 10, "ttl after set ex get")
    equal(r.set("s:k", "v9", keepttl=True, get=True), "v8", "set keepttl get")
    within(r.ttl("s:k"), 9, 10, "ttl after set keepttl get")
    equal(r.set("s:nothing", "v", get=True), None, "set get on a missing key")

    equal(r.set("s:at", "v", exat=FAR_SECONDS), True, "set exat")
    equal(r.expiretime("s:at"), FAR_SECONDS, "expiretime after set exat")
    equal(r.set("s:at", "v", pxat=FAR_SECONDS * 1000 + 250), True, "set pxat")
    equal(r.pexpiretime("s:at"), FAR_SECONDS * 1000 + 250, "pexpiretime after set pxat")

    error = raises(redis.exceptions.ResponseError, "invalid expire time in 'set' command",
                   lambda: r.set("s:bad", "v", ex=0), "set ex=0")
    check(not str(error).startswith("ERR"), f"redis-py strips the error code: {error}")
    raises(redis.exceptions.ResponseError, "invalid expire time in 'set' command",
           lambda: r.set("s:bad", "v", px=-5), "set px=-5")
    equal(r.exists("s:bad"), 0, "key after the refused sets")


def test_expire_ttl_persist():
    r.set("e:k", "v")
    equal(r.ttl("e:k"), -1, "ttl without a deadline")
    equal(r.pttl("e:k"), -1, "pttl without a deadline")
    equal(r.ttl("e:missing"), -2, "ttl of a missing key")
    equal(r.pttl("e:missing"), -2, "pttl of a missing key")
    equal(r.expiretime("e:k"), -1, "expiretime without a deadline")
    equal(r.expiretime("e:missing"), -2, "expiretime of a missing key")

    equal(r.expire("e:k", 100, xx=True), False, "expire xx without a deadline")
    equal(r.expire("e:k", 100, gt=True), False, "expire gt without a deadline")
    equal(r.expire("e:k", 100, nx=True), True, "expire nx without a deadline")
    equal(r.expire("e:k", 50, nx=True), False, "expire nx with a deadline")
    equal(r.expire("e:k", 50, gt=True), False, "expire gt with a smaller time")
    equal(r.expire("e:k", 200, gt=True), True, "expire gt with a larger time")
    equal(r.expire("e:k", 300, lt=True), False, "expire lt with a larger time")
    equal(r.expire("e:k", datetime.timedelta(seconds=150), lt=True), True, "expire lt timedelta")
    within(r.ttl("e:k"), 149, 150, "ttl after expire lt")
    equal(r.pexpire("e:k", 120000, xx=True), True, "pexpire xx")
    within(r.pttl("e:k"), 118000, 120000, "pttl after pexpire")
    equal(r.expireat("e:k", FAR_SECONDS), True, "expireat")
    equal(r.expiretime("e:k"), FAR_SECONDS, "expiretime after expireat")
    when = datetime.datetime.fromtimestamp(FAR_SECONDS + 60, tz=datetime.timezone.utc)
    equal(r.expireat("e:k", when, gt=True), True, "expireat datetime gt")
    equal(r.expiretime("e:k"), FAR_SECONDS + 60, "expiretime after expireat datetime")
    equal(r.pexpireat("e:k", FAR_SECONDS * 1000 + 1), True, "pexpireat")
    equal(r.pexpiretime("e:k"), FAR_SECONDS * 1000 + 1, "pexpiretime after pexpireat")

    equal(r.persist("e:k"), True, "persist with a deadline")
    equal(r.persist("e:k"), False, "persist without a deadline")
    equal(r.ttl("e:k"), -1, "ttl after persist")
    equal(r.expire("e:missing", 100), False, "expire of a missing key")
    raises(redis.exceptions.ResponseError,
           "NX and XX, GT or LT options at the same time are not compatible",
           lambda: r.expire("e:k", 10, nx=True, xx=True), "expire nx xx")
    raises(redis.exceptions.ResponseError, "GT and LT options at the same time are not compatible",
           lambda: r.expire("e:k", 10, gt=True, lt=True), "expire gt lt")

    # A time in the past deletes the key.
    equal(r.expire("e:k", -1), True, "expire -1")
    equal(r.exists("e:k"), 0, "key after expire -1")

    # A short deadline passes: the key is gone for every read.
    deadline = server_time_ms() + 200
    r.set("e:short", "v", pxat=deadline)
    equal(r.get("e:short"), "v", "key before its deadline")
    wait_for_server_time_past(deadline)
    equal(r.get("e:short"), None, "GET after the deadline")
    equal(r.exists("e:short"), 0, "EXISTS after the deadline")
    equal(r.ttl("e:short"), -2, "TTL after the deadline")


def test_getex_getdel():
    r.set("g:k", "v")
    equal(r.getex("g:k"), "v", "getex without options")
    equal(r.ttl("g:k"), -1, "ttl after getex without options")
    equal(r.getex("g:k", ex=100), "v", "getex ex")
    within(r.ttl("g:k"), 99, 100, "ttl after getex ex")
    equal(r.getex("g:k", px=30000), "v", "getex px")
    within(r.pttl("g:k"), 28000, 30000, "pttl after getex px")
    equal(r.getex("g:k", exat=FAR_SECONDS), "v", "getex exat")
    equal(r.expiretime("g:k"), FAR_SECONDS, "expiretime after getex exat")
    equal(r.getex("g:k", pxat=FAR_SECONDS * 1000 + 9), "v", "getex pxat")
    equal(r.pexpiretime("g:k"), FAR_SECONDS * 1000 + 9, "pexpiretime after getex pxat")
    equal(r.getex("g:k", persist=True), "v", "getex persist")
    equal(r.ttl("g:k"), -1, "ttl after getex persist")
    equal(r.getex("g:missing", ex=10), None, "getex of a missing key")
    raises(redis.exceptions.ResponseError, "invalid expire time in 'getex' command",
           lambda: r.getex("g:k", ex=0), "getex ex=0")

    equal(r.getdel("g:k"), "v", "getdel")
    equal(r.getdel("g:k"), None, "getdel of a deleted key")
    equal(r.exists("g:k"), 0, "key after getdel")


# --- many keys ---


def test_mset_mget_many_keys():
    mapping = {f"many:{i}": f"value-{i}" for i in range(5000)}
    equal(r.mset(mapping), True, "mset of 5000 keys")
    keys = list(mapping)
    equal(r.mget(keys), list(mapping.values()), "mget of 5000 keys")
    probe = ["many:0", "many:missing", "many:4999", "other:missing"]
    equal(r.mget(probe), ["value-0", None, "value-4999", None], "mget with missing keys")
    equal(r.exists(*keys[:100]), 100, "exists of 100 keys")
    equal(r.dbsize(), 5000, "dbsize")
    equal(r.delete(*keys), 5000, "delete of 5000 keys")
    equal(r.mget(keys[:10]), [None] * 10, "mget after delete")
    equal(r.dbsize(), 0, "dbsize after delete")


def test_scan_iter_and_delete():
    with r.pipeline(transaction=False) as pipe:
        for i in range(2500):
            pipe.set(f"scan:{i}", "v")
        for i in range(500):
            pipe.set(f"other:{i}", "v")
        pipe.execute()
    expected = {f"scan:{i}" for i in range(2500)}
    found = list(r.scan_iter(match="scan:*", count=100))
    equal(len(found), len(set(found)), "keys returned more than once by scan_iter")
    equal(set(found), expected, "scan_iter(match='scan:*')")
    everything = set(r.scan_iter(count=1000))
    equal(len(everything), 3000, "scan_iter() over every key")
    equal(set(r.scan_iter(match="scan:*", _type="STRING")), expected, "scan_iter _type=STRING")

    equal(r.delete(*found), 2500, "delete of the scanned keys")
    equal(list(r.scan_iter(match="scan:*")), [], "scan_iter after delete")
    equal(len(list(r.scan_iter(match="other:*", count=50))), 500, "the other keys remain")
    equal(r.delete("other:0", "other:1", "missing"), 2, "delete of two keys and a missing one")


def test_scan_iter_over_20000_keys():
    total = 20000
    with r.pipeline(transaction=False) as pipe:
        for i in range(total):
            pipe.set(f"big:{i}", "v")
        equal(pipe.execute(), [True] * total, "SETs of 20,000 keys")
    counts = {}
    for key in r.scan_iter(match="big:*", count=500):
        counts[key] = counts.get(key, 0) + 1
    equal(len(counts), total, "distinct keys from scan_iter")
    equal(sorted(k for k, n in counts.items() if n != 1), [], "keys seen more than once")
    equal(set(counts), {f"big:{i}" for i in range(total)}, "the keys scan_iter returned")


def test_connection_pool_under_20_threads():
    pool = redis.BlockingConnectionPool(
        host="127.0.0.1", port=PORT, decode_responses=True, socket_timeout=30, max_connections=8,
        timeout=30
    )
    shared = redis.Redis(connection_pool=pool)
    rounds = 100
    errors = []

    def worker(n):
        try:
            for i in range(rounds):
                shared.set(f"pool:{n}:{i}", f"{n}-{i}")
                shared.incr("pool:counter")
                if shared.get(f"pool:{n}:{i}") != f"{n}-{i}":
                    errors.append(f"thread {n} read a wrong value for pool:{n}:{i}")
                    return
            with shared.pipeline() as pipe:  # a transaction on a pooled connection
                pipe.incr("pool:tx")
                pipe.get(f"pool:{n}:0")
                result = pipe.execute()
            if result[1] != f"{n}-0":
                errors.append(f"thread {n}: transaction results {result!r}")
        except Exception as error:  # reported below: a thread's exception is otherwise lost
            errors.append(f"thread {n}: {error!r}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    check(not any(thread.is_alive() for thread in threads), "a thread did not finish in 60 s")
    equal(errors, [], "errors in the threads")
    equal(r.get("pool:counter"), str(20 * rounds), "INCRs of 20 threads")
    equal(r.get("pool:tx"), "20", "transactions of 20 threads")
    equal(len(list(r.scan_iter(match="pool:*:*", count=1000))), 20 * rounds, "keys of 20 threads")
    check(len(pool._connections) <= 8, f"the pool opened {len(pool._connections)} connections")
    pool.disconnect()


def test_pubsub():
    p = r.pubsub()
    try:
        p.subscribe("news", "sport")
        p.psubscribe("weather:*")
        confirmations = [p.get_message(timeout=10) for _ in range(3)]
        equal(
            [(m["type"], m["channel"], m["data"]) for m in confirmations],
            [("subscribe", "news", 1), ("subscribe", "sport", 2), ("psubscribe", "weather:*", 3)],
            "subscription confirmations",
        )
        equal(r.publish("news", "first"), 1, "PUBLISH to news")
        equal(r.publish("weather:rome", "sunny"), 1, "PUBLISH to weather:rome")
        equal(r.publish("nobody", "lost"), 0, "PUBLISH without subscribers")
        messages = [p.get_message(timeout=10) for _ in range(2)]
        equal(
            [(m["type"], m["pattern"], m["channel"], m["data"]) for m in messages],
            [
                ("message", None, "news", "first"),
                ("pmessage", "weather:*", "weather:rome", "sunny"),
            ],
            "messages",
        )
        equal(sorted(r.pubsub_channels()), ["news", "sport"], "PUBSUB CHANNELS")
        equal(r.pubsub_numsub("news", "nobody"), [("news", 1), ("nobody", 0)], "PUBSUB NUMSUB")
        equal(r.pubsub_numpat(), 1, "PUBSUB NUMPAT")
        p.unsubscribe()
        p.punsubscribe()
        goodbyes = [p.get_message(timeout=10) for _ in range(3)]
        equal(sorted((m["type"], m["channel"]) for m in goodbyes),
              [("punsubscribe", "weather:*"), ("unsubscribe", "news"), ("unsubscribe", "sport")],
              "unsubscribe confirmations")
        equal(r.publish("news", "unheard"), 0, "PUBLISH after UNSUBSCRIBE")
    finally:
        p.close()


def main():
    tests = [(name, test) for name, test in globals().items() if name.startswith("test_")]
    failures = 0
    print(f"redis-py {redis.__version__} against 127.0.0.1:{PORT}")
    for name, test in tests:
        try:
            r.flushall()
            test()
            print(f"PASS: {name}")
        except Exception:  # an assertion, a reply error or a lost connection: report them all
            failures += 1
            print(f"FAIL: {name}")
            traceback.print_exc(file=sys.stdout)
    print(f"{len(tests) - failures} of {len(tests)} redis-py tests passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
