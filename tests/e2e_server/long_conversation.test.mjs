// A 50-turn conversation through the official OpenAI SDK on the shipped
// demo model, in a context (--max-context 96) that holds about three turns:
// the client keeps appending the model's own answers, as a chat app does,
// and with --context-overflow truncate (and shift) every question, the
// 50th included, is answered right while the oldest turns are dropped and
// reported in usage. Under the default (error) the same conversation gets a
// 400 naming the context once it no longer fits.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import OpenAI from "openai";
import { modelPath, startServer, stopServer } from "./keel_server.mjs";

const demoModel = path.join(path.dirname(modelPath), "keel-demo-glm4-q8_0.gguf");

// The demo model's held-out questions (tools/demo_model/heldout.jsonl): the
// set it is measured on and shipped only when it answers all of them, so
// a wrong answer here means the conversation reached the model damaged.
// (The model's arithmetic outside that set is good but not perfect:
// 100 + 100 gets 210.)
const heldOut = fs.readFileSync(path.join(path.dirname(modelPath), "..", "tools", "demo_model", "heldout.jsonl"), "utf8")
  .trim().split("\n").map((line) => JSON.parse(line));
const sums = heldOut.filter((row) => row.task === "add");
const capitals = heldOut.filter((row) => row.task === "capital");

// Four sums, then a capital, with their answers.
function question(turn) {
  const row = turn % 5 === 4 ? capitals[Math.floor(turn / 5) % capitals.length] : sums[turn % sums.length];
  return [row.question, row.answer];
}

async function converse(client, turns, onAnswer) {
  const messages = [{ role: "system", content: "You answer arithmetic questions." }];
  for (let turn = 0; turn < turns; ++turn) {
    const [text, expected] = question(turn);
    messages.push({ role: "user", content: text });
    const answer = await client.chat.completions.create({ messages, max_tokens: 8, temperature: 0 });
    onAnswer(turn, answer, expected);
    messages.push(answer.choices[0].message);
  }
}

for (const mode of ["truncate", "shift"]) {
  describe(`--context-overflow ${mode}: 50 turns through the SDK`, () => {
    let server, client;
    before(async () => {
      server = startServer(["--max-context", "96", "--context-overflow", mode], demoModel);
      client = new OpenAI({ baseURL: await server.ready, apiKey: "unused", maxRetries: 0, timeout: 60000 });
    });
    after(async () => assert.equal(await stopServer(server.child), 0));

    test("every question is answered right, the oldest turns dropped and counted", async () => {
      let truncatedTurns = 0;
      await converse(client, 50, (turn, answer, expected) => {
        assert.equal(answer.choices[0].message.content, expected, `turn ${turn + 1}`);
        const dropped = answer.usage.prompt_tokens_details?.truncated_messages ?? 0;
        assert.equal(dropped % 2, 0, "whole turns go");
        if (dropped > 0) ++truncatedTurns;
        // truncate leaves room for max_tokens; shift only makes the prompt fit (generation may slide).
        const room = mode === "truncate" ? 8 : 1;
        assert.ok(answer.usage.prompt_tokens + room <= 96, JSON.stringify(answer.usage));
      });
      assert.ok(truncatedTurns >= 40, `only ${truncatedTurns} of 50 turns needed truncation`);
    });
  });
}

describe("--context-overflow error (the default): 50 turns through the SDK", () => {
  let server, client;
  before(async () => {
    server = startServer(["--max-context", "96"], demoModel);
    client = new OpenAI({ baseURL: await server.ready, apiKey: "unused", maxRetries: 0, timeout: 60000 });
  });
  after(async () => assert.equal(await stopServer(server.child), 0));

  test("the conversation is answered until it no longer fits, then a 400 names the context", async () => {
    let answered = 0;
    await assert.rejects(
      converse(client, 50, (turn, answer, expected) => {
        assert.equal(answer.choices[0].message.content, expected, `turn ${turn + 1}`);
        ++answered;
      }),
      (error) => error.status === 400 && /context/.test(error.message));
    assert.ok(answered >= 2 && answered < 50, `${answered} turns answered`);
  });
});
