// Tool calls through the official OpenAI SDK (issue 15), on the random
// tiny GLM model, whose template is GLM-4.6's (the glm45 format): with
// tool_choice "required" or a named function, constrained decoding makes
// even random weights write a call, and the call comes back as OpenAI
// tool_calls whose arguments validate against the tool's schema (ajv);
// streaming too. The tiny model's context (256) cannot hold the tools'
// prompt, so the test serves a copy whose context length field says 4096
// (the weights are random; only the position limit changes).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Ajv from "ajv";
import OpenAI from "openai";
import { modelPath, scrapeMetricsAndStop, startServer } from "./keel_server.mjs";

// A copy of the model with glm4.context_length (a uint32) set to `length`.
function withContextLength(source, length, directory) {
  const bytes = readFileSync(source);
  const key = Buffer.from("glm4.context_length");
  const at = bytes.indexOf(key);
  assert.ok(at > 0, "no glm4.context_length in " + source);
  assert.equal(bytes.readUInt32LE(at + key.length), 4, "glm4.context_length is not a uint32");
  bytes.writeUInt32LE(length, at + key.length + 4);
  const copy = path.join(directory, "tiny-context-4096.gguf");
  writeFileSync(copy, bytes);
  return copy;
}

const weather = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather in a city.",
    parameters: {
      type: "object",
      properties: { city: { type: "string", minLength: 1, maxLength: 8 }, unit: { enum: ["c", "f"] },
                    days: { type: "integer" } },
      required: ["city", "unit"],
      additionalProperties: false,
    },
  },
};
const clock = { type: "function", function: { name: "get_time", parameters: { type: "object", properties: {} } } };
const tools = [weather, clock];
const ask = [{ role: "user", content: "Weather in Paris?" }];

describe("tool calls with the openai SDK", () => {
  let server, client, directory;
  const validate = new Ajv().compile(weather.function.parameters);

  before(async () => {
    directory = mkdtempSync(path.join(os.tmpdir(), "keel-tools-"));
    server = startServer([], withContextLength(modelPath, 4096, directory));
    client = new OpenAI({ baseURL: await server.ready, apiKey: "unused", maxRetries: 0, timeout: 60000 });
  });

  after(async () => {
    const metrics = await scrapeMetricsAndStop(server, client.baseURL);
    assert.ok(Number(metrics.match(/^keel:tool_calls_total (\S+)$/m)?.[1]) >= 14, metrics);
    rmSync(directory, { recursive: true, force: true });
  });

  function checkCall(call) {
    assert.equal(call.type, "function");
    assert.match(call.id, /^call_/);
    const args = JSON.parse(call.function.arguments);
    if (call.function.name === "get_weather") assert.ok(validate(args), call.function.arguments);
    else assert.equal(call.function.name, "get_time");
  }

  test("tool_choice required: every answer is a call whose arguments validate", async () => {
    for (let seed = 0; seed < 8; ++seed) {
      const answer = await client.chat.completions.create({
        messages: ask, tools, tool_choice: "required", parallel_tool_calls: false, max_tokens: 400, seed,
      });
      const choice = answer.choices[0];
      assert.equal(choice.finish_reason, "tool_calls", JSON.stringify(choice));
      assert.equal(choice.message.content, null);
      assert.equal(choice.message.tool_calls.length, 1);
      checkCall(choice.message.tool_calls[0]);
    }
  });

  test("a named function is the one called", async () => {
    for (let seed = 0; seed < 4; ++seed) {
      const answer = await client.chat.completions.create({
        messages: ask, tools, max_tokens: 400, seed,
        tool_choice: { type: "function", function: { name: "get_weather" } },
      });
      const calls = answer.choices[0].message.tool_calls;
      assert.equal(calls.length, 1);
      assert.equal(calls[0].function.name, "get_weather");
      checkCall(calls[0]);
    }
  });

  test("streaming: the calls arrive as tool_calls deltas, and no call text as content", async () => {
    const stream = await client.chat.completions.create({
      messages: ask, tools, tool_choice: "required", parallel_tool_calls: false, max_tokens: 400, seed: 5, stream: true,
    });
    let content = "", finish = null;
    const calls = [];
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta ?? {};
      content += delta.content ?? "";
      for (const part of delta.tool_calls ?? []) {
        calls[part.index] ??= { id: part.id, type: part.type, function: { name: "", arguments: "" } };
        calls[part.index].function.name += part.function?.name ?? "";
        calls[part.index].function.arguments += part.function?.arguments ?? "";
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(finish, "tool_calls");
    assert.equal(content, "");
    assert.equal(calls.length, 1);
    checkCall(calls[0]);
  });

  test("a round trip: the call and its result in the history, then an answer", async () => {
    const first = await client.chat.completions.create({
      messages: ask, tools, tool_choice: "required", parallel_tool_calls: false, max_tokens: 400, seed: 2,
    });
    const call = first.choices[0].message.tool_calls[0];
    const second = await client.chat.completions.create({
      messages: [...ask, first.choices[0].message,
                 { role: "tool", tool_call_id: call.id, content: JSON.stringify({ temperature: 21 }) }],
      tools, tool_choice: "none", max_tokens: 8, seed: 2,
    });
    assert.equal(typeof second.choices[0].message.content, "string");
    assert.equal(second.choices[0].message.tool_calls, undefined);
  });

  test("bad tool_choice values are 400s that name the parameter", async () => {
    const bad = (extra) => client.chat.completions.create({ messages: ask, max_tokens: 4, ...extra });
    await assert.rejects(bad({ tools, tool_choice: { type: "function", function: { name: "launch" } } }),
                         (error) => error.status === 400 && error.param === "tool_choice" && /'launch'/.test(error.message));
    await assert.rejects(bad({ tool_choice: "required" }),
                         (error) => error.status === 400 && /'tools' is empty/.test(error.message));
    await assert.rejects(bad({ tools, tool_choice: "sometimes" }), (error) => error.status === 400);
  });
});
