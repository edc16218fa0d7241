// An agent's round trip through the official OpenAI SDK on the trained demo
// model (models/keel-demo-glm4-q8_0.gguf, issue 15), with nothing forced:
// tool_choice "auto", so the model itself decides to call get_weather for a
// weather question, keel turns its GLM-4 call text into OpenAI tool_calls,
// the client runs the tool and sends the result back, and the model answers
// with what the tool said. A question that needs no tool gets no call, and
// response_format json_schema holds the JSON answer to its schema. The
// answers are the model's own (greedy), checked against the facts.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import OpenAI from "openai";
import { scrapeMetricsAndStop, startServer } from "./keel_server.mjs";

const demoModel = path.join(path.dirname(new URL(import.meta.url).pathname), "..", "..", "models",
                            "keel-demo-glm4-q8_0.gguf");

// The tool as the demo model was trained to see it (tools/demo_model/tasks.py).
const weatherTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather in a city.",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

// The "tool": what a client would fetch from a weather service, written
// as the demo model saw tool results in training (Python's json.dumps
// spacing; the 11 M-parameter model knows that one form only).
const forecasts = { Paris: { temperature: 18, sky: "cloudy" }, Tokyo: { temperature: -3, sky: "snowy" },
                    Cairo: { temperature: 35, sky: "clear" } };
function getWeather(args) {
  const { city } = JSON.parse(args);
  const { temperature, sky } = forecasts[city];
  return `{"city": ${JSON.stringify(city)}, "temperature": ${temperature}, "sky": ${JSON.stringify(sky)}}`;
}

describe("an agent's round trip on the demo model", () => {
  let server, client;

  before(async () => {
    server = startServer([], demoModel);
    client = new OpenAI({ baseURL: await server.ready, apiKey: "unused", maxRetries: 0, timeout: 60000 });
  });

  after(async () => {
    const metrics = await scrapeMetricsAndStop(server, client.baseURL);
    assert.ok(Number(metrics.match(/^keel:tool_calls_total (\S+)$/m)?.[1]) >= 3, metrics);
  });

  for (const city of Object.keys(forecasts)) {
    test(`weather in ${city}: the model calls the tool, then answers with its result`, async () => {
      const messages = [{ role: "user", content: `What is the weather in ${city}?` }];
      const first = await client.chat.completions.create({
        messages, tools: [weatherTool], tool_choice: "auto", max_tokens: 32, temperature: 0,
      });
      const choice = first.choices[0];
      assert.equal(choice.finish_reason, "tool_calls", JSON.stringify(choice));
      assert.equal(choice.message.tool_calls.length, 1);
      const call = choice.message.tool_calls[0];
      assert.equal(call.function.name, "get_weather");
      assert.deepEqual(JSON.parse(call.function.arguments), { city });

      messages.push(choice.message, { role: "tool", tool_call_id: call.id, content: getWeather(call.function.arguments) });
      const second = await client.chat.completions.create({
        messages, tools: [weatherTool], max_tokens: 32, temperature: 0,
      });
      const { temperature, sky } = forecasts[city];
      assert.equal(second.choices[0].finish_reason, "stop");
      assert.equal(second.choices[0].message.content, `It is ${temperature} degrees and ${sky} in ${city}.`);
    });
  }

  test("a question that needs no tool gets an answer, not a call", async () => {
    const answer = await client.chat.completions.create({
      messages: [{ role: "user", content: "What is 12 + 30?" }], tools: [weatherTool], tool_choice: "auto",
      max_tokens: 16, temperature: 0,
    });
    assert.equal(answer.choices[0].message.tool_calls, undefined);
    assert.equal(answer.choices[0].message.content, "42");
  });

  test("streaming: the call arrives as tool_calls deltas", async () => {
    const stream = await client.chat.completions.create({
      messages: [{ role: "user", content: "Tell me the weather in Tokyo." }], tools: [weatherTool],
      max_tokens: 32, temperature: 0, stream: true,
    });
    let content = "", name = "", args = "", finish = null;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta ?? {};
      content += delta.content ?? "";
      for (const part of delta.tool_calls ?? []) {
        name += part.function?.name ?? "";
        args += part.function?.arguments ?? "";
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(finish, "tool_calls");
    assert.equal(content, "");
    assert.equal(name, "get_weather");
    assert.deepEqual(JSON.parse(args), { city: "Tokyo" });
  });

  test("structured output: a JSON answer held to its schema, with the right capital", async () => {
    const schema = {
      type: "object",
      properties: { name: { type: "string" }, capital: { type: "string" } },
      required: ["name", "capital"],
      additionalProperties: false,
    };
    const answer = await client.chat.completions.create({
      messages: [{ role: "user", content: "Give the name and capital of Japan as JSON." }],
      response_format: { type: "json_schema", json_schema: { name: "country", schema, strict: true } },
      max_tokens: 32, temperature: 0,
    });
    assert.deepEqual(JSON.parse(answer.choices[0].message.content), { name: "Japan", capital: "Tokyo" });
  });
});
