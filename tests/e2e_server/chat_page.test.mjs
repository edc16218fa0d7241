// The chat page at / in headless Chromium (Debian's chromium, driven by
// playwright-core), against live `keel serve`s:
//   - on the trained demo model, a question's right answer streams in, under
//     the model's name, and the conversation is kept in the history;
//   - on the random tiny model (a copy whose context length field says 4096,
//     and ignore_eos added to the page's requests, so replies run long), Stop mid-stream cancels the request on the server
//     (its metrics count the abort), and a long reply keeps the view scrolled
//     to its end;
//   - with an API key the page is 401 with a Basic challenge, and served with
//     the key as the password; --no-ui turns it off.
// A screenshot of the answered question is kept in $KEEL_TEST_ARTIFACTS.
// Skips when Chromium is not installed (scripts/install_deps.sh installs it).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { modelPath, startServer, stopServer } from "./keel_server.mjs";

const chromiumPath = process.env.KEEL_CHROMIUM ?? "/usr/bin/chromium";
const demoModel = path.join(path.dirname(modelPath), "keel-demo-glm4-q8_0.gguf");
const artifacts = process.env.KEEL_TEST_ARTIFACTS ?? os.tmpdir();
const skip = existsSync(chromiumPath) ? false : `no Chromium at ${chromiumPath} (apt-get install chromium)`;

// A copy of the tiny model with glm4.context_length set to `length`.
function withContextLength(source, length, directory) {
  const bytes = readFileSync(source);
  const key = Buffer.from("glm4.context_length");
  const at = bytes.indexOf(key);
  assert.ok(at > 0, "no glm4.context_length in " + source);
  bytes.writeUInt32LE(length, at + key.length + 4);
  const copy = path.join(directory, "tiny-context-4096.gguf");
  writeFileSync(copy, bytes);
  return copy;
}

// The random tiny model may draw its end token at any time; the page's
// requests to it get ignore_eos, so a reply runs to max_tokens.
async function neverEnding(page) {
  await page.route("**/v1/chat/completions", (route) =>
    route.continue({ postData: JSON.stringify({ ...JSON.parse(route.request().postData()), ignore_eos: true }) }));
}

async function metric(base, name) {
  const text = await (await fetch(base + "/metrics")).text();
  return Number(text.match(new RegExp("^" + name.replace(/[{}"]/g, "\\$&") + " (\\S+)$", "m"))?.[1] ?? NaN);
}

describe("the chat page", { skip }, () => {
  let browser, demo, tiny, directory;
  const origin = (server) => server.ready.then((url) => url.replace(/\/v1$/, ""));

  before(async () => {
    directory = mkdtempSync(path.join(os.tmpdir(), "keel-chat-page-"));
    demo = startServer([], demoModel);
    tiny = startServer([], withContextLength(modelPath, 4096, directory));
    browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
  });

  after(async () => {
    await browser?.close();
    await stopServer(demo.child);
    await stopServer(tiny.child);
    rmSync(directory, { recursive: true, force: true });
  });

  test("a question's answer streams in, and the conversation is kept", async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    const url = await origin(demo);
    await page.goto(url + "/");
    await page.waitForFunction(() => document.getElementById("model-name").textContent.endsWith(".gguf"));
    assert.equal(await page.textContent("#model-name"), "keel-demo-glm4-q8_0.gguf");
    // The reply comes as a stream of server-sent events.
    const streamed = page.waitForResponse((r) => r.url().endsWith("/v1/chat/completions"));
    await page.fill("#prompt", "What is 17 + 25?");
    await page.press("#prompt", "Enter");
    const response = await streamed;
    assert.equal(JSON.parse(response.request().postData()).stream, true);
    assert.match(response.headers()["content-type"], /^text\/event-stream/);
    await page.waitForFunction(() => document.querySelector(".message.assistant")?.textContent &&
                                     !document.getElementById("send").hidden);  // the reply is done
    const reply = await page.textContent(".message.assistant >> nth=-1");
    assert.equal(reply.trim(), "42");
    assert.equal(await page.textContent(".message.user >> nth=-1"), "What is 17 + 25?");
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, "chat_page.png") });
    // The history lists the conversation, and a reload of the page keeps it.
    assert.equal(await page.textContent("#history li.current"), "What is 17 + 25?");
    await page.reload();
    await page.waitForSelector(".message.assistant");
    assert.equal((await page.textContent(".message.assistant >> nth=-1")).trim(), "42");
    // A second question in a new chat; the first stays in the history.
    await page.click("#new-chat");
    await page.fill("#prompt", "What is the capital of Japan?");
    await page.click("#send");
    await page.waitForFunction(() => document.querySelectorAll(".message.assistant").length === 1 &&
                                     !document.getElementById("send").hidden);
    assert.equal((await page.textContent(".message.assistant")).trim(), "Tokyo");
    assert.equal(await page.locator("#history li").count(), 2);
    await page.close();
  });

  test("Stop mid-stream cancels the request on the server", async () => {
    const page = await browser.newPage();
    const url = await origin(tiny);
    const abortedBefore = await metric(url, 'keel:request_success_total{finished_reason="abort"}');
    await neverEnding(page);
    await page.goto(url + "/");
    await page.fill("#max-tokens", "3000");
    await page.fill("#prompt", "Tell me a long story.");
    await page.click("#send");
    // Some of the reply is on screen, then Stop.
    await page.waitForFunction(() => (document.querySelector(".message.assistant")?.textContent.length ?? 0) > 40);
    await page.click("#stop");
    await page.waitForSelector(".message.assistant.stopped");
    assert.ok(await page.isVisible("#send"));
    // The server saw the client go and ended the request (an abort, not 3000 tokens).
    const deadline = Date.now() + 10000;
    while (await metric(url, 'keel:request_success_total{finished_reason="abort"}') <= abortedBefore) {
      assert.ok(Date.now() < deadline, "the server never counted the cancel");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(await metric(url, "keel:requests_in_flight"), 0);
    await page.close();
  });

  test("a long reply keeps the view scrolled to its end", async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 500 } });
    const url = await origin(tiny);
    await neverEnding(page);
    await page.goto(url + "/");
    await page.fill("#max-tokens", "1500");
    await page.fill("#prompt", "Write a lot.");
    await page.click("#send");
    await page.waitForSelector("#send", { state: "visible", timeout: 60000 });
    const box = await page.evaluate(() => {
      const m = document.getElementById("messages");
      return { scrollHeight: m.scrollHeight, clientHeight: m.clientHeight, scrollTop: m.scrollTop };
    });
    assert.ok(box.scrollHeight > 2 * box.clientHeight, JSON.stringify(box));       // it did overflow
    assert.ok(box.scrollHeight - box.scrollTop - box.clientHeight < 40, JSON.stringify(box));  // at its end
    await page.close();
  });

  test("markdown and code blocks render, and markup in the text stays text", async () => {
    const page = await browser.newPage();
    await page.goto((await origin(demo)) + "/");
    const html = await page.evaluate(() => renderMarkdown(
      "# Title\nSome **bold**, *italic* and `code`.\n\n- one\n- two\n\n```python\nprint('<b>hi</b>')\n```\n<img src=x onerror=alert(1)>"));
    assert.match(html, /<h3>Title<\/h3>/);
    assert.match(html, /<strong>bold<\/strong>, <em>italic<\/em> and <code>code<\/code>/);
    assert.match(html, /<ul><li>one<\/li><li>two<\/li><\/ul>/);
    assert.match(html, /<pre><code class="language-python">print\(&#39;&lt;b&gt;hi&lt;\/b&gt;&#39;\)<\/code><\/pre>/);
    assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
    assert.doesNotMatch(html, /<img/);
    await page.close();
  });

  test("with an API key the page wants it; --no-ui turns the page off", async () => {
    const locked = startServer(["--api-key", "sk-page-test"], demoModel);
    const off = startServer(["--no-ui"], demoModel);
    try {
      const lockedUrl = await origin(locked);
      const challenge = await fetch(lockedUrl + "/");
      assert.equal(challenge.status, 401);
      assert.match(challenge.headers.get("www-authenticate"), /^Basic realm="keel"/);
      const context = await browser.newContext({ httpCredentials: { username: "me", password: "sk-page-test" } });
      const page = await context.newPage();
      await page.goto(lockedUrl + "/");
      await page.waitForFunction(() => document.getElementById("model-name").textContent.endsWith(".gguf"));
      await page.fill("#prompt", "What is 2 + 2?");
      await page.click("#send");
      await page.waitForFunction(() => document.querySelector(".message.assistant") &&
                                       !document.getElementById("send").hidden);
      assert.equal((await page.textContent(".message.assistant")).trim(), "4");
      await context.close();
      const wrong = await fetch(lockedUrl + "/", { headers: { Authorization: "Basic " + btoa("me:nope") } });
      assert.equal(wrong.status, 401);
      // What another site's form could send with the browser's Basic
      // credentials (no JSON content type) is refused; the page's own calls pass.
      const basic = "Basic " + btoa("me:sk-page-test");
      const body = JSON.stringify({ messages: [{ role: "user", content: "What is 2 + 2?" }], max_tokens: 4 });
      const form = await fetch(lockedUrl + "/v1/chat/completions",
                               { method: "POST", headers: { Authorization: basic, "Content-Type": "text/plain" }, body });
      assert.equal(form.status, 403);
      assert.match((await form.json()).error.message, /Content-Type: application\/json/);
      const json = await fetch(lockedUrl + "/v1/chat/completions",
                               { method: "POST", headers: { Authorization: basic, "Content-Type": "application/json" }, body });
      assert.equal(json.status, 200);
      assert.equal((await fetch((await origin(off)) + "/")).status, 404);
    } finally {
      await stopServer(locked.child);
      await stopServer(off.child);
    }
  });
});
