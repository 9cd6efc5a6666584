// Calls a strata server through the real convex npm package's
// ConvexHttpClient; run by TestConvexHttpClient (node_test.go) with the
// server's URL. Prints "ok" and exits 0, or prints the failure and exits 1.
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { ConvexError } from "convex/values";
import assert from "node:assert/strict";

const api = anyApi;
const client = new ConvexHttpClient(process.argv[2], { logger: false });

// A mutation, then a query that reads what it wrote.
const id = await client.mutation(api.messages.send, { author: "ann", body: "hello" });
assert.equal(typeof id, "string");
const doc = await client.query(api.messages.get, { id });
assert.equal(doc.author, "ann");
assert.equal(doc.body, "hello");
assert.equal(await client.query(api.messages.count, {}), 1n);

// int64, bytes and special floats round trip, NaN bits included.
const nanBits = new DataView(new ArrayBuffer(8));
nanBits.setBigUint64(0, 0xfff8000000000123n, true);
const weirdNaN = nanBits.getFloat64(0, true);
const x = [9223372036854775807n, -1n, new Uint8Array([0, 1, 254, 255]).buffer, NaN, weirdNaN, -Infinity, -0, 1.5, { nested: [2n] }];
const back = await client.query(api.values.echo, { x });
assert.equal(back[0], 9223372036854775807n);
assert.equal(back[1], -1n);
assert.deepEqual([...new Uint8Array(back[2])], [0, 1, 254, 255]);
assert.ok(Number.isNaN(back[3]));
const got = new DataView(new ArrayBuffer(8));
got.setFloat64(0, back[4], true);
// V8 keeps a NaN's payload through DataView; compare the bits.
assert.equal(got.getBigUint64(0, true), 0xfff8000000000123n);
assert.equal(back[5], -Infinity);
assert.ok(Object.is(back[6], -0));
assert.equal(back[7], 1.5);
assert.equal(back[8].nested[0], 2n);

// Values strata makes: a negative NaN with a payload, -Infinity, -0, min int64.
const made = await client.query(api.values.nan, {});
got.setFloat64(0, made[0], true);
assert.equal(got.getBigUint64(0, true), 0xfff8000000000123n);
assert.equal(made[1], -Infinity);
assert.ok(Object.is(made[2], -0));
assert.equal(made[3], -9223372036854775808n);

// An argument validation error.
await assert.rejects(client.mutation(api.messages.send, { author: "ann" }), (e) => {
  assert.match(e.message, /ArgumentValidationError/);
  assert.ok(!(e instanceof ConvexError));
  return true;
});

// A function that throws, with data (ConvexError) and without.
await assert.rejects(client.mutation(api.errors.throw, {}), (e) => {
  assert.ok(e instanceof ConvexError, "a DataError is a ConvexError");
  assert.equal(e.data.code, 42n);
  return true;
});
await assert.rejects(client.query(api.errors.plain, {}), /plain failure/);
// The thrown mutation's insert was rolled back.
assert.equal(await client.query(api.messages.count, {}), 1n);

// Internal functions are not public; the admin key opens them.
await assert.rejects(client.query(api.admin.secret, {}), /Could not find public function/);
const admin = new ConvexHttpClient(process.argv[2], { logger: false });
admin.setAdminAuth(process.argv[3]);
assert.equal(await admin.query(api.admin.secret, {}), "secret");

// strata has no actions.
await assert.rejects(client.action(api.messages.send, {}), /strata has no actions/);

console.log("ok");
