// node-redis (v4) against a running server: transactions through multi().exec(), a WATCH
// that aborts with WatchError, a transaction refused at queueing, and a plain pipeline through
// multi().execAsPipeline(), each with its results asserted.
//
// Usage: node node_redis_test.js PORT   (NODE_PATH must find the redis package)
// Exit status: 0 every check passed, 1 a check failed (each failure is printed).
'use strict';

const assert = require('assert');
const { createClient, WatchError } = require('redis');

const port = Number(process.argv[2]);
const url = `redis://127.0.0.1:${port}`;

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
