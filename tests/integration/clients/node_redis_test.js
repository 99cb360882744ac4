// node-redis (v4) against a running server: plain commands, SET with EX, INCR, scanIterator
// over 20,000 keys, transactions through multi().exec(), a WATCH that aborts with WatchError,
// a transaction refused at queueing, a plain pipeline through multi().execAsPipeline(), and
// Pub/Sub, each with its results asserted.
//
// Usage: node node_redis_test.js PORT   (NODE_PATH must find the redis package)
// Exit status: 0 every check passed, 1 a check failed (each failure is printed).
'use strict';

const assert = require('assert');
const { createClient, WatchError } = require('redis');

const port = Number(process.argv[2]);
const url = `redis://127.0.0.1:${port}`;

async function testStrings(client) {
  assert.strictEqual(await client.set('s:a', '1'), 'OK');
  assert.strictEqual(await client.get('s:a'), '1');
  assert.strictEqual(await client.get('s:missing'), null);
  assert.strictEqual(await client.mSet({ 's:b': '2', 's:c': '3' }), 'OK');
  assert.deepStrictEqual(await client.mGet(['s:a', 's:b', 's:missing', 's:c']),
                         ['1', '2', null, '3']);
  assert.strictEqual(await client.del(['s:a', 's:b', 's:missing']), 2);
  assert.strictEqual(await client.exists(['s:a', 's:c']), 1);

  assert.strictEqual(await client.set('s:ttl', 'v', { EX: 100 }), 'OK');
  const ttl = await client.ttl('s:ttl');
  assert.ok(ttl >= 99 && ttl <= 100, `TTL after SET EX 100: ${ttl}`);
  assert.strictEqual(await client.set('s:ttl', 'w', { NX: true }), null);
  assert.strictEqual(await client.set('s:ttl', 'w', { KEEPTTL: true, GET: true }), 'v');
  assert.ok(await client.ttl('s:ttl') > 0);
  // sendCommand: set() drops an EX of 0 instead of sending it.
  await assert.rejects(client.sendCommand(['SET', 's:bad', 'v', 'EX', '0']),
                       { message: "ERR invalid expire time in 'set' command" });

  assert.strictEqual(await client.incr('s:n'), 1);
  assert.strictEqual(await client.incrBy('s:n', 41), 42);
  assert.strictEqual(await client.decr('s:n'), 41);
  await client.set('s:text', 'abc');
  await assert.rejects(client.incr('s:text'),
                       { message: 'ERR value is not an integer or out of range' });
}

// Every key of 20,000 comes out of scanIterator exactly once.
async function testScanIterator(client) {
  const total = 20000;
  const pipeline = client.multi();
  for (let i = 0; i < total; ++i) pipeline.set(`scan:${i}`, 'v');
  await pipeline.execAsPipeline();
  await client.sAdd('a:set', 'member');
  const seen = new Map();
  for await (const key of client.scanIterator({ MATCH: 'scan:*', COUNT: 500 })) {
    seen.set(key, (seen.get(key) || 0) + 1);
  }
  assert.strictEqual(seen.size, total, 'distinct keys seen by scanIterator');
  assert.deepStrictEqual([...seen].filter(([, times]) => times !== 1), [],
                         'keys seen more than once');
  for (let i = 0; i < total; ++i) assert.ok(seen.has(`scan:${i}`), `scan:${i} not seen`);
  const sets = [];
  for await (const key of client.scanIterator({ TYPE: 'set', COUNT: 1000 })) sets.push(key);
  assert.deepStrictEqual(sets, ['a:set']);
}

async function testPubSub(client) {
  const subscriber = client.duplicate();
  subscriber.on('error', (error) => console.log(`subscriber error: ${error}`));
  await subscriber.connect();
  try {
    const messages = [];
    let done;
    const received = new Promise((resolve) => { done = resolve; });
    const note = (entry) => {
      messages.push(entry);
      if (messages.length === 3) done();
    };
    await subscriber.subscribe(['news', 'sport'], (message, channel) => note([channel, message]));
    await subscriber.pSubscribe('weather:*',
                                (message, channel) => note(['weather:*', channel, message]));
    assert.strictEqual(await client.publish('news', 'first'), 1);
    assert.strictEqual(await client.publish('weather:rome', 'sunny'), 1);
    assert.strictEqual(await client.publish('nobody', 'lost'), 0);
    assert.strictEqual(await client.publish('sport', 'second'), 1);
    await received;
    assert.deepStrictEqual(messages, [
      ['news', 'first'], ['weather:*', 'weather:rome', 'sunny'], ['sport', 'second'],
    ]);
    assert.deepStrictEqual((await client.pubSubChannels()).sort(), ['news', 'sport']);
    assert.deepStrictEqual({ ...await client.pubSubNumSub(['news', 'nobody']) },
                           { news: 1, nobody: 0 });
    assert.strictEqual(await client.pubSubNumPat(), 1);
    await subscriber.unsubscribe();
    await subscriber.pUnsubscribe();
    assert.strictEqual(await client.publish('news', 'unheard'), 0);
    assert.strictEqual(await client.pubSubNumPat(), 0);
  } finally {
    await subscriber.quit();
  }
}

async function testMultiExec(client) {
  const results = await client
    .multi()
    .set('n:a', '1')
    .get('n:a')
    .mSet({ 'n:b': '2', 'n:c': '3' })
    .mGet(['n:a', 'n:b', 'n:c', 'n:missing'])
    .del('n:b')
    .exists(['n:a', 'n:b', 'n:c'])
    .set('n:d', '4', { EX: 100 })
    .ttl('n:d')
    .exec();
  assert.deepStrictEqual(results, ['OK', '1', 'OK', ['1', '2', '3', null], 1, 2, 'OK', 100]);
  assert.deepStrictEqual(await client.mGet(['n:a', 'n:b', 'n:c', 'n:d']), ['1', null, '3', '4']);
}

async function testWatchAborts(client, other) {
  await client.set('n:w', 'original');
  await assert.rejects(
    client.executeIsolated(async (isolated) => {
      await isolated.watch('n:w');
      assert.strictEqual(await isolated.get('n:w'), 'original');
      await other.set('n:w', 'changed');  // a concurrent writer: EXEC must fail
      return isolated.multi().set('n:w', 'mine').exec();
    }),
    WatchError);
  assert.strictEqual(await client.get('n:w'), 'changed');

  // Unchanged watched keys: the transaction commits.
  const results = await client.executeIsolated(async (isolated) => {
    await isolated.watch(['n:w', 'n:unset']);
    return isolated.multi().set('n:unset', 'now').get('n:w').exec();
  });
  assert.deepStrictEqual(results, ['OK', 'changed']);
  assert.strictEqual(await client.get('n:unset'), 'now');
}

async function testQueueingErrorAbortsEverything(client) {
  await client.set('n:kept', 'before');
  await assert.rejects(
    client.multi()
        .set('n:kept', 'after')
        .addCommand(['SET', 'n:bad'])  // wrong number of arguments: refused when queued
        .exec(),
    (error) => error.message === "ERR wrong number of arguments for 'set' command");
  assert.strictEqual(await client.get('n:kept'), 'before');
  assert.strictEqual(await client.exists('n:bad'), 0);
}

async function testPipelineWithoutTransaction(client) {
  const pipeline = client.multi();
  for (let i = 0; i < 100; ++i) pipeline.set(`n:p:${i}`, String(i));
  for (let i = 0; i < 100; ++i) pipeline.get(`n:p:${i}`);
  const results = await pipeline.execAsPipeline();
  assert.deepStrictEqual(results.slice(0, 100), new Array(100).fill('OK'));
  assert.deepStrictEqual(results.slice(100), Array.from({ length: 100 }, (_, i) => String(i)));
}

async function main() {
  const client = createClient({ url });
  const other = createClient({ url });
  client.on('error', (error) => console.log(`client error: ${error}`));
  other.on('error', (error) => console.log(`client error: ${error}`));
  await client.connect();
  await other.connect();
  const tests = {
    testStrings: () => testStrings(client),
    testScanIterator: () => testScanIterator(client),
    testPubSub: () => testPubSub(client),
    testMultiExec: () => testMultiExec(client),
    testWatchAborts: () => testWatchAborts(client, other),
    testQueueingErrorAbortsEverything: () => testQueueingErrorAbortsEverything(client),
    testPipelineWithoutTransaction: () => testPipelineWithoutTransaction(client),
  };
  let failures = 0;
  for (const [name, test] of Object.entries(tests)) {
    try {
      await client.flushAll();
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
  console.log(`${count - failures} of ${count} node-redis tests passed`);
  return failures === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (error) => {
  console.log(`FAIL: ${error && error.stack ? error.stack : error}`);
  process.exit(1);
});
