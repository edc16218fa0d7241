// The official OpenAI SDK (the npm package `openai`, pinned in
// package.json) against a live `keel serve` on loopback: chat and
// completions, streaming and not, n > 1, stop, seed, logprobs, usage and
// errors. Run by CTest as `node --test`; KEEL_BINARY and KEEL_MODEL say
// what to start.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { model, startServer, stopServer } from "./keel_server.mjs";

const KEY = "sk-sdk-test";

const chatMessages = [{ role: "system", content: "You are terse." }, { role: "user", content: "Say something." }];

describe("keel serve with the openai SDK", () => {
  let server, client;

  before(async () => {
    server = startServer(["--api-key", KEY]);
    client = new OpenAI({ baseURL: await server.ready, apiKey: KEY, maxRetries: 0, timeout: 30000 });
  });
  after(async () => {
    assert.equal(await stopServer(server.child), 0);
  });

  test("models.list names the served model", async () => {
    const models = await client.models.list();
    assert.deepEqual(models.data.map((m) => m.id), [model]);
  });

  test("chat completion: shape and usage", async () => {
    const reply = await client.chat.completions.create({ model, messages: chatMessages, max_tokens: 8 });
    assert.match(reply.id, /^chatcmpl-/);
    assert.equal(reply.object, "chat.completion");
    assert.equal(reply.model, model);
    assert.ok(Number.isInteger(reply.created));
    assert.equal(reply.choices.length, 1);
    const choice = reply.choices[0];
    assert.equal(choice.index, 0);
    assert.equal(choice.message.role, "assistant");
    assert.equal(typeof choice.message.content, "string");
    assert.ok(["stop", "length"].includes(choice.finish_reason));
    const usage = reply.usage;
    assert.ok(usage.prompt_tokens > 0);
    assert.ok(usage.completion_tokens >= 1 && usage.completion_tokens <= 8);
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
    assert.equal(typeof usage.prompt_tokens_details.cached_tokens, "number");
  });

  test("chat content as an array of text parts", async () => {
    const reply = await client.chat.completions.create({
      model, max_tokens: 4,
      messages: [{ role: "user", content: [{ type: "text", text: "Hello" }, { type: "text", text: " there" }] }],
    });
    assert.equal(reply.choices.length, 1);
  });

  test("completion: shape, fixed length with ignore_eos", async () => {
    const reply = await client.completions.create({ model, prompt: "Once upon a time", max_tokens: 6,
                                                    ignore_eos: true });
    assert.match(reply.id, /^cmpl-/);
    assert.equal(reply.object, "text_completion");
    assert.equal(reply.choices[0].finish_reason, "length");
    assert.equal(reply.usage.completion_tokens, 6);
    assert.equal(typeof reply.choices[0].text, "string");
  });

  test("same seed gives the same output; streaming matches non-streaming", async () => {
    const request = { model, messages: chatMessages, max_tokens: 12, temperature: 1.0, seed: 1234 };
    const first = await client.chat.completions.create(request);
    const second = await client.chat.completions.create(request);
    assert.equal(first.choices[0].message.content, second.choices[0].message.content);
    const stream = await client.chat.completions.create({ ...request, stream: true,
                                                          stream_options: { include_usage: true } });
    let text = "", usage = null, finish = null, roleSeen = false;
    for await (const chunk of stream) {
      assert.equal(chunk.object, "chat.completion.chunk");
      if (chunk.usage) usage = chunk.usage;
      for (const choice of chunk.choices) {
        if (choice.delta.role) roleSeen = true;
        text += choice.delta.content ?? "";
        if (choice.finish_reason) finish = choice.finish_reason;
      }
    }
    assert.ok(roleSeen);
    assert.equal(text, first.choices[0].message.content);
    assert.equal(finish, first.choices[0].finish_reason);
    assert.deepEqual(usage, first.usage);
    // Other seeds give other samples (at least one of three differs).
    const others = await Promise.all([99, 100, 101].map((seed) => client.chat.completions.create({ ...request, seed })));
    assert.ok(others.some((o) => o.choices[0].message.content !== first.choices[0].message.content));
  });

  test("streaming completion with usage", async () => {
    const stream = await client.completions.create({ model, prompt: "Hello", max_tokens: 5, ignore_eos: true,
                                                     stream: true, stream_options: { include_usage: true } });
    let text = "", chunks = 0, usage = null;
    for await (const chunk of stream) {
      chunks += 1;
      if (chunk.usage) usage = chunk.usage;
      for (const choice of chunk.choices) text += choice.text;
    }
    assert.ok(chunks >= 2);
    assert.equal(usage.completion_tokens, 5);
    assert.equal(typeof text, "string");
  });

  test("n > 1 returns n choices; with a seed, choice 0 matches n = 1", async () => {
    const request = { model, prompt: "Tell me", max_tokens: 8, temperature: 1.0, seed: 42, ignore_eos: true };
    const many = await client.completions.create({ ...request, n: 3 });
    assert.deepEqual(many.choices.map((c) => c.index).sort(), [0, 1, 2]);
    assert.equal(many.usage.completion_tokens, 24);
    const one = await client.completions.create(request);
    assert.equal(many.choices.find((c) => c.index === 0).text, one.choices[0].text);
    const chat = await client.chat.completions.create({ model, messages: chatMessages, max_tokens: 4, n: 2 });
    assert.equal(chat.choices.length, 2);
    // Streaming with n > 1 interleaves choices by index.
    const stream = await client.chat.completions.create({ model, messages: chatMessages, max_tokens: 4, n: 2,
                                                          stream: true });
    const finished = new Set();
    for await (const chunk of stream) for (const c of chunk.choices) if (c.finish_reason) finished.add(c.index);
    assert.deepEqual([...finished].sort(), [0, 1]);
  });

  test("stop ends the text before the stop string", async () => {
    const request = { model, prompt: "Count", max_tokens: 24, temperature: 1.0, seed: 7, ignore_eos: true };
    const free = (await client.completions.create(request)).choices[0].text;
    let at = -1;
    for (let i = 2; i + 2 <= free.length; ++i)
      if (/^[A-Za-z0-9]{2}$/.test(free.slice(i, i + 2))) { at = i; break; }
    assert.ok(at > 0, `no ASCII pair to stop at in ${JSON.stringify(free)}`);
    const stop = free.slice(at, at + 2);
    const stopped = await client.completions.create({ ...request, stop: [stop, "zzzz-never"] });
    assert.equal(stopped.choices[0].text, free.slice(0, free.indexOf(stop)));
    assert.equal(stopped.choices[0].finish_reason, "stop");
  });

  test("logprobs: chat and completions", async () => {
    const chat = await client.chat.completions.create({ model, messages: chatMessages, max_tokens: 4,
                                                        ignore_eos: true, logprobs: true, top_logprobs: 2 });
    const content = chat.choices[0].logprobs.content;
    assert.equal(content.length, chat.usage.completion_tokens);
    for (const entry of content) {
      assert.equal(typeof entry.token, "string");
      assert.ok(entry.logprob <= 0);
      assert.equal(entry.top_logprobs.length, 2);
      assert.ok(entry.top_logprobs[0].logprob >= entry.top_logprobs[1].logprob);
    }
    const completion = await client.completions.create({ model, prompt: "Hi", max_tokens: 3, ignore_eos: true,
                                                         logprobs: 2 });
    const logprobs = completion.choices[0].logprobs;
    assert.equal(logprobs.tokens.length, 3);
    assert.equal(logprobs.token_logprobs.length, 3);
    assert.equal(logprobs.top_logprobs.length, 3);
    // A token that ends inside a UTF-8 character prints as U+FFFD on its
    // own, so the pieces only concatenate to the text when none is partial.
    if (!logprobs.tokens.some((t) => t.includes("\uFFFD")))
      assert.equal(logprobs.tokens.join(""), completion.choices[0].text);
  });

  test("errors come back as the SDK's error classes", async () => {
    await assert.rejects(client.chat.completions.create({ model, messages: chatMessages, temperature: -1 }),
                         (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.param === "temperature");
    await assert.rejects(client.chat.completions.create({ model, messages: [] }),
                         (e) => e instanceof OpenAI.BadRequestError);
    await assert.rejects(client.chat.completions.create({ model, messages: [{ role: "robot", content: "x" }] }),
                         (e) => e instanceof OpenAI.BadRequestError);
    await assert.rejects(client.completions.create({ model, prompt: "x".repeat(5000) }),
                         (e) => e instanceof OpenAI.BadRequestError);
    await assert.rejects(client.completions.create({ model: "not-a-model", prompt: "x" }),
                         (e) => e instanceof OpenAI.NotFoundError);
    const stranger = new OpenAI({ baseURL: client.baseURL, apiKey: "sk-wrong", maxRetries: 0 });
    await assert.rejects(stranger.models.list(), (e) => e instanceof OpenAI.AuthenticationError);
    await assert.rejects(stranger.chat.completions.create({ model, messages: chatMessages }),
                         (e) => e instanceof OpenAI.AuthenticationError && !e.message.includes(KEY));
  });
});
