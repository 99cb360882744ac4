// ioredis (the version pinned in package-lock.json beside this file) against a running
// server: plain commands, SET with EX, INCR, scanStream over 20,000 keys, pipelines,
// multi().exec(), Pub/Sub, the RESP3 connection ioredis negotiates with HELLO 3, and
// authentication against requirepass inside that HELLO.
//
// Usage: node ioredis_test.js PORT   (NODE_PATH must find the ioredis package)
// Exit status: 0 every check passed, 1 a check failed (each failure is printed).
'use strict';

const assert = require('assert');
const { once } = require('events');
const Redis = require('ioredis');

const port = Number(process.argv[2]);

// protocol 3 is ioredis's default: HELLO 3 on connect, RESP2 only if the server refuses it.
// Spelled out so that the RESP3 test below checks what it means to.
function connect(options = {}) {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    protocol: 3,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,  // a lost connection fails the test instead of reconnecting
    ...options,
  });
  client.on('error', (error) => console.log(`client error: ${error}`));
  return client;
}

async function testStrings(client) {
  assert.strictEqual(await client.set('io:a', '1'), 'OK');
  assert.strictEqual(await client.get('io:a'), '1');
  assert.strictEqual(await client.get('io:missing'), null);
  assert.strictEqual(await client.mset({ 'io:b': '2', 'io:c': '3' }), 'OK');
  assert.strictEqual(await client.mset('io:d', '4', 'io:e', '5'), 'OK');
  assert.deepStrictEqual(await client.mget('io:a', 'io:b', 'io:missing', 'io:e'),
                         ['1', '2', null, '5']);
  assert.strictEqual(await client.del('io:a', 'io:b', 'io:missing'), 2);
  assert.deepStrictEqual(await client.mget(['io:a', 'io:b', 'io:c']), [null, null, '3']);
  assert.strictEqual(await client.exists('io:c', 'io:d', 'io:a'), 2);

  // A binary value round-trips through the Buffer variants.
  const bytes = Buffer.from([0, 255, 13, 10, 36, 42]);
  assert.strictEqual(await client.set('io:bin', bytes), 'OK');
  assert.ok((await client.getBuffer('io:bin')).equals(bytes));
  assert.strictEqual(await client.strlen('io:bin'), bytes.length);
}

async function testSetWithExpiryAndIncr(client) {
  assert.strictEqual(await client.set('io:ttl', 'v', 'EX', 100), 'OK');
  const ttl = await client.ttl('io:ttl');
  assert.ok(ttl >= 99 && ttl <= 100, `TTL after SET EX 100: ${ttl}`);
  assert.strictEqual(await client.set('io:ttl', 'w', 'PX', 50000, 'GET'), 'v');
  const pttl = await client.pttl('io:ttl');
  assert.ok(pttl > 48000 && pttl <= 50000, `PTTL after SET PX 50000: ${pttl}`);
  assert.strictEqual(await client.set('io:ttl', 'x', 'NX'), null);
  assert.strictEqual(await client.set('io:ttl', 'y'), 'OK');
  assert.strictEqual(await client.ttl('io:ttl'), -1);
  await assert.rejects(client.set('io:bad', 'v', 'EX', 0),
                       { message: "ERR invalid expire time in 'set' command" });

  assert.strictEqual(await client.incr('io:n'), 1);
  assert.strictEqual(await client.incr('io:n'), 2);
  assert.strictEqual(await client.incrby('io:n', 40), 42);
  assert.strictEqual(await client.decr('io:n'), 41);
  assert.strictEqual(await client.get('io:n'), '41');
  await client.set('io:text', 'abc');
  await assert.rejects(client.incr('io:text'),
                       { message: 'ERR value is not an integer or out of range' });
}

// Every key of 20,000 comes out of scanStream exactly once, and MATCH / TYPE filter.
async function testScanStream(client) {
  const total = 20000;
  const pipeline = client.pipeline();
  for (let i = 0; i < total; ++i) pipeline.set(`scan:${i}`, 'v');
  for (let i = 0; i < 100; ++i) pipeline.sadd(`set:${i}`, 'member');
  const written = await pipeline.exec();
  assert.strictEqual(written.length, total + 100);
  assert.ok(written.every(([error]) => error === null));

  async function collect(options) {
    const seen = new Map();
    let batches = 0;
    for await (const keys of client.scanStream(options)) {
      ++batches;
      for (const key of keys) seen.set(key, (seen.get(key) || 0) + 1);
    }
    return { seen, batches };
  }

  const { seen, batches } = await collect({ match: 'scan:*', count: 500 });
  assert.strictEqual(seen.size, total, 'distinct keys seen by scanStream');
  const repeated = [...seen].filter(([, times]) => times !== 1);
  assert.deepStrictEqual(repeated, [], 'keys seen more than once');
  for (let i = 0; i < total; ++i) assert.ok(seen.has(`scan:${i}`), `scan:${i} not seen`);
  assert.ok(batches >= 2, `one SCAN call cannot have returned everything (${batches} batches)`);

  const everything = await collect({ count: 1000 });
  assert.strictEqual(everything.seen.size, total + 100);
  const sets = await collect({ type: 'set', count: 1000 });
  assert.deepStrictEqual([...sets.seen.keys()].sort(),
                         Array.from({ length: 100 }, (_, i) => `set:${i}`).sort());
}

async function testPipeline(client) {
  const pipeline = client.pipeline();
  for (let i = 0; i < 200; ++i) pipeline.set(`p:${i}`, String(i));
  for (let i = 0; i < 200; ++i) pipeline.get(`p:${i}`);
  pipeline.incr('p:0');
  pipeline.set('p:bad');  // wrong number of arguments: fails alone, the others still run
  pipeline.get('p:199');
  const results = await pipeline.exec();
  assert.strictEqual(results.length, 403);
  assert.deepStrictEqual(results.slice(0, 200), new Array(200).fill([null, 'OK']));
  assert.deepStrictEqual(results.slice(200, 400).map(([, value]) => value),
                         Array.from({ length: 200 }, (_, i) => String(i)));
  assert.deepStrictEqual(results[400], [null, 1]);
  assert.strictEqual(results[401][0].message, "ERR wrong number of arguments for 'set' command");
  assert.deepStrictEqual(results[402], [null, '199']);
}

async function testMultiExec(client, other) {
  const results = await client.multi()
                      .set('m:a', '1')
                      .incr('m:a')
                      .mset('m:b', '2', 'm:c', '3')
                      .mget('m:a', 'm:b', 'm:c', 'm:missing')
                      .del('m:b')
                      .set('m:d', '4', 'EX', 100)
                      .ttl('m:d')
                      .exec();
  assert.deepStrictEqual(results, [
    [null, 'OK'], [null, 2], [null, 'OK'], [null, ['2', '2', '3', null]], [null, 1],
    [null, 'OK'], [null, 100],
  ]);

  // A command refused when queued aborts the whole transaction (EXECABORT).
  await client.set('m:kept', 'before');
  await assert.rejects(client.multi().set('m:kept', 'after').set('m:bad').exec(),
                       (error) => /EXECABORT/.test(error.message));
  assert.strictEqual(await client.get('m:kept'), 'before');

  // A runtime error inside EXEC fails only its own command.
  const mixed = await client.multi().set('m:s', 'text').incr('m:s').get('m:s').exec();
  assert.deepStrictEqual(mixed[0], [null, 'OK']);
  assert.strictEqual(mixed[1][0].message, 'ERR value is not an integer or out of range');
  assert.deepStrictEqual(mixed[2], [null, 'text']);

  // WATCH: a change by another client makes EXEC return null; unchanged keys commit.
  await client.watch('m:w');
  await other.set('m:w', 'changed');
  assert.strictEqual(await client.multi().set('m:w', 'mine').exec(), null);
  assert.strictEqual(await client.get('m:w'), 'changed');
  await client.watch('m:w');
  assert.deepStrictEqual(await client.multi().set('m:w', 'mine').exec(), [[null, 'OK']]);
  assert.strictEqual(await client.get('m:w'), 'mine');
}

async function testPubSub(client) {
  const subscriber = connect();
  try {
    assert.strictEqual(await subscriber.subscribe('news', 'sport'), 2);
    assert.strictEqual(await subscriber.psubscribe('weather:*'), 3);
    const messages = [];
    const received = new Promise((resolve) => {
      subscriber.on('message', (channel, message) => {
        messages.push(['message', channel, message]);
        if (messages.length === 4) resolve();
      });
      subscriber.on('pmessage', (pattern, channel, message) => {
        messages.push(['pmessage', pattern, channel, message]);
        if (messages.length === 4) resolve();
      });
    });
    assert.strictEqual(await client.publish('news', 'first'), 1);
    assert.strictEqual(await client.publish('sport', 'second'), 1);
    assert.strictEqual(await client.publish('weather:rome', 'sunny'), 1);
    assert.strictEqual(await client.publish('nobody', 'lost'), 0);
    assert.strictEqual(await client.publish('news', 'third'), 1);
    await received;
    assert.deepStrictEqual(messages, [
      ['message', 'news', 'first'],
      ['message', 'sport', 'second'],
      ['pmessage', 'weather:*', 'weather:rome', 'sunny'],
      ['message', 'news', 'third'],
    ]);
    assert.deepStrictEqual((await client.pubsub('CHANNELS')).sort(), ['news', 'sport']);
    assert.deepStrictEqual(await client.pubsub('NUMSUB', 'news', 'nobody'),
                           ['news', 1, 'nobody', 0]);
    assert.strictEqual(await client.pubsub('NUMPAT'), 1);

    assert.strictEqual(await subscriber.unsubscribe('news'), 2);
    assert.strictEqual(await client.publish('news', 'unheard'), 0);
    // Named explicitly: ioredis 6.0.0's unsubscribe() without arguments never resolves, against
    // Redis 7.0 as well.
    assert.strictEqual(await subscriber.unsubscribe('sport'), 1);
    assert.strictEqual(await subscriber.punsubscribe('weather:*'), 0);
    // Out of subscriber mode the connection takes ordinary commands again.
    assert.strictEqual(await subscriber.set('ps:after', 'ok'), 'OK');
  } finally {
    subscriber.disconnect();
  }
}

// HELLO 3 negotiated a RESP3 connection: the server says so, and RESP3-only reply types
// (maps, doubles) arrive as such with replyMapping 'resp3'.
async function testResp3() {
  const client = connect({ replyMapping: 'resp3' });
  try {
    assert.match(await client.client('INFO'), / resp=3\b/);
    await client.hset('r3:h', 'f1', 'v1', 'f2', 'v2');
    assert.deepStrictEqual(await client.hgetall('r3:h'), { f1: 'v1', f2: 'v2' });
    assert.deepStrictEqual(await client.config('GET', 'port'), { port: String(port) });
    await client.zadd('r3:z', '1.5', 'm');
    assert.strictEqual(await client.zscore('r3:z', 'm'), 1.5);
    assert.strictEqual(await client.zscore('r3:z', 'missing'), null);
    assert.strictEqual(await client.get('r3:missing'), null);  // RESP3 null
    assert.deepStrictEqual(await client.multi().incr('r3:n').hgetall('r3:h').exec(),
                           [[null, 1], [null, { f1: 'v1', f2: 'v2' }]]);
  } finally {
    client.disconnect();
  }
  // protocol: 2 skips HELLO: the same connection stays RESP2.
  const resp2 = connect({ protocol: 2 });
  try {
    assert.match(await resp2.client('INFO'), / resp=2\b/);
    assert.deepStrictEqual(await resp2.hgetall('r3:h'), { f1: 'v1', f2: 'v2' });
  } finally {
    resp2.disconnect();
  }
}

// requirepass: ioredis authenticates inside HELLO 3 (HELLO 3 AUTH user pass); a wrong
// password is refused with Redis's WRONGPASS text.
async function testAuth(client) {
  assert.strictEqual(await client.config('SET', 'requirepass', 'pw 1'), 'OK');
  const clients = [];
  try {
    const good = connect({ password: 'pw 1' });
    clients.push(good);
    assert.strictEqual(await good.ping(), 'PONG');
    assert.match(await good.client('INFO'), / resp=3\b/);
    const named = connect({ username: 'default', password: 'pw 1' });
    clients.push(named);
    assert.strictEqual(await named.set('auth:k', 'v'), 'OK');

    const wrong = connect({ password: 'wrong', lazyConnect: true });
    clients.push(wrong);
    const refusal = once(wrong, 'error');  // ioredis reports the server's reply here
    await assert.rejects(wrong.connect());
    const [error] = await refusal;
    assert.strictEqual(error.message,
                       'WRONGPASS invalid username-password pair or user is disabled.');
    // Without a password, HELLO 3 itself is refused (Redis 7.0 and 7.2 word the rest apart).
    const none = connect({ lazyConnect: true });
    clients.push(none);
    const noauth = once(none, 'error');
    await assert.rejects(none.connect());
    const [denied] = await noauth;
    assert.match(denied.message,
                 /^NOAUTH HELLO must be called with the client already authenticated, /);
  } finally {
    for (const c of clients) c.disconnect();
    assert.strictEqual(await client.config('SET', 'requirepass', ''), 'OK');
  }
}

async function main() {
  const client = connect();
  const other = connect();
  await Promise.all([once(client, 'ready'), once(other, 'ready')]);
  const tests = {
    testStrings: () => testStrings(client),
    testSetWithExpiryAndIncr: () => testSetWithExpiryAndIncr(client),
    testScanStream: () => testScanStream(client),
    testPipeline: () => testPipeline(client),
    testMultiExec: () => testMultiExec(client, other),
    testPubSub: () => testPubSub(client),
    testResp3: () => testResp3(),
    testAuth: () => testAuth(client),
  };
  const { version } = require('ioredis/package.json');
  console.log(`ioredis ${version} against 127.0.0.1:${port}`);
  let failures = 0;
  for (const [name, test] of Object.entries(tests)) {
    try {
      await client.flushall();
      await test();
      console.log(`PASS: ${name}`);
    } catch (error) {
      ++failures;
      console.log(`FAIL: ${name}`);
      console.log(error && error.stack ? error.stack : String(error));
    }
  }
  await client.quit();
  await other.quit();
  const count = Object.keys(tests).length;
  console.log(`${count - failures} of ${count} ioredis tests passed`);
  return failures === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (error) => {
  console.log(`FAIL: ${error && error.stack ? error.stack : error}`);
  process.exit(1);
});
