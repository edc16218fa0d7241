// Structured output through the official OpenAI SDK (issue 15): with
// response_format json_schema every answer parses and validates against
// the schema under an independent validator (ajv), 100 of 100, on the
// random-weight tiny model, whose logits favour nothing: the grammar alone
// keeps the text inside the schema. Also json_object, a GBNF grammar, and
// the 400s for schemas keel refuses.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import Ajv from "ajv";
import OpenAI from "openai";
import { scrapeMetricsAndStop, startServer } from "./keel_server.mjs";

// Every string and array is bounded, so that every answer ends inside
// max_tokens even when the model wanders.
const citySchema = {
  type: "object",
  properties: {
    name: { type: "string", minLength: 1, maxLength: 8 },
    capital: { type: "string", maxLength: 6 },
    population: { type: "integer" },
    coastal: { type: "boolean" },
    climate: { enum: ["oceanic", "arid", "alpine"] },
    neighbours: { type: "array", items: { $ref: "#/$defs/neighbour" }, maxItems: 1 },
    note: { anyOf: [{ type: "null" }, { type: "string", maxLength: 4 }] },
  },
  required: ["name", "capital", "population", "coastal", "climate", "neighbours", "note"],
  additionalProperties: false,
  $defs: {
    neighbour: {
      type: "object",
      properties: { code: { type: "string", minLength: 2, maxLength: 3 }, border_km: { type: "number" } },
      required: ["code", "border_km"],
      additionalProperties: false,
    },
  },
};

describe("structured output with the openai SDK", () => {
  let server, client;

  before(async () => {
    server = startServer([]);
    client = new OpenAI({ baseURL: await server.ready, apiKey: "unused", maxRetries: 0, timeout: 60000 });
  });

  after(async () => {
    // The grammar cache's counters: one schema sent 100 times is compiled once.
    const metrics = await scrapeMetricsAndStop(server, client.baseURL);
    const value = (name) => Number(metrics.match(new RegExp("^" + name + " (\\S+)$", "m"))?.[1]);
    assert.ok(value("keel:grammar_cache_hits_total") >= 99, metrics);
    assert.ok(value("keel:constrained_requests_total") >= 101);
  });

  test("json_schema: 100 of 100 answers validate (ajv)", async () => {
    const validate = new Ajv({ strict: true }).compile(citySchema);
    const ask = (seed) => client.chat.completions.create({
      messages: [{ role: "user", content: "Describe a city as JSON." }],
      max_tokens: 230, temperature: 1.0, seed,
      response_format: { type: "json_schema", json_schema: { name: "city", strict: true, schema: citySchema } },
    });
    let valid = 0;
    for (let batch = 0; batch < 10; ++batch) {
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => ask(batch * 10 + i)));
      for (const answer of answers) {
        const choice = answer.choices[0];
        assert.equal(choice.finish_reason, "stop", choice.message.content);
        const value = JSON.parse(choice.message.content);
        assert.ok(validate(value), JSON.stringify(validate.errors) + "\n" + choice.message.content);
        ++valid;
      }
    }
    assert.equal(valid, 100);
  });

  test("json_schema while streaming: the joined deltas validate", async () => {
    const validate = new Ajv().compile(citySchema);
    const stream = await client.chat.completions.create({
      messages: [{ role: "user", content: "Describe a city as JSON." }], max_tokens: 230, seed: 7, stream: true,
      response_format: { type: "json_schema", json_schema: { name: "city", schema: citySchema } },
    });
    let text = "", finish = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(finish, "stop");
    assert.ok(validate(JSON.parse(text)), text);
  });

  test("json_object gives a JSON object", async () => {
    const answer = await client.chat.completions.create({
      messages: [{ role: "user", content: "Anything, as JSON." }], max_tokens: 200, seed: 3,
      response_format: { type: "json_object" },
    });
    const { content } = answer.choices[0].message;
    if (answer.choices[0].finish_reason === "stop") assert.equal(typeof JSON.parse(content), "object");
    assert.equal(content[0], "{");
  });

  test("a GBNF grammar (keel's response_format type 'grammar')", async () => {
    const answer = await client.chat.completions.create({
      messages: [{ role: "user", content: "Yes or no?" }], max_tokens: 20, seed: 1,
      response_format: { type: "grammar", grammar: 'root ::= ("yes" | "no") "." [0-9]{2}' },
    });
    assert.match(answer.choices[0].message.content, /^(yes|no)\.[0-9]{2}$/);
    assert.equal(answer.choices[0].finish_reason, "stop");
  });

  // The tiny model's template (GLM-4.6's) thinks: its turns open with
  // <think>...</think>. A grammar makes the random model write one, and the
  // server splits it into reasoning_content and content, streaming too.
  test("reasoning_content: the <think> block of a thinking template's turn", async () => {
    const request = {
      messages: [{ role: "user", content: "Think, then answer." }], max_tokens: 60, seed: 4,
      response_format: { type: "grammar", grammar: 'root ::= "<think>" [a-z]{1,6} " " [a-z]{1,6} "</think>\\n" [a-z]{1,8}' },
    };
    const answer = await client.chat.completions.create(request);
    const { message } = answer.choices[0];
    assert.match(message.reasoning_content, /^[a-z]{1,6} [a-z]{1,6}$/);
    assert.match(message.content, /^[a-z]{1,8}$/);
    const stream = await client.chat.completions.create({ ...request, stream: true });
    let reasoning = "", content = "";
    for await (const chunk of stream) {
      reasoning += chunk.choices[0]?.delta?.reasoning_content ?? "";
      content += chunk.choices[0]?.delta?.content ?? "";
    }
    assert.equal(reasoning, message.reasoning_content);
    assert.equal(content, message.content);
  });

  test("an unsupported schema keyword is a 400 that names it", async () => {
    await assert.rejects(
      client.chat.completions.create({
        messages: [{ role: "user", content: "x" }], max_tokens: 5,
        response_format: { type: "json_schema",
                           json_schema: { name: "x", schema: { type: "string", format: "email" } } },
      }),
      (error) => error instanceof OpenAI.BadRequestError && /'format'/.test(error.message) &&
                 error.param === "response_format");
    await assert.rejects(
      client.chat.completions.create({
        messages: [{ role: "user", content: "x" }], max_tokens: 5,
        response_format: { type: "grammar", grammar: "root ::= \"a" },
      }),
      (error) => error instanceof OpenAI.BadRequestError && /unterminated literal/.test(error.message));
  });
});
