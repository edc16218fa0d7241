// The validator catches what it is meant to: each case below breaks a copy
// of deploy/kubernetes/ in one way (in a temporary folder, removed after)
// and expects validate_manifests.mjs to fail, saying why. The untouched
// copy passes.
//
//   node --test validate_manifests.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MANIFESTS = path.resolve(HERE, "..", "..", "..", "deploy", "kubernetes");
const VALIDATOR = path.join(HERE, "validate_manifests.mjs");

/** Copies the manifests, applies `edit(dir)`, runs the validator on the copy. */
function validateCopy(edit) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "keel-k8s-"));
  try {
    for (const f of fs.readdirSync(MANIFESTS)) fs.copyFileSync(path.join(MANIFESTS, f), path.join(dir, f));
    edit(dir);
    const r = spawnSync(process.execPath, [VALIDATOR, dir], { encoding: "utf8", timeout: 60_000 });
    return { status: r.status, output: r.stdout + r.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Replaces `from` (which must occur) by `to` in one file of the copy: the
 *  first occurrence, or all with `every`. */
const replace = (file, from, to, every = false) => (dir) => {
  const p = path.join(dir, file);
  const text = fs.readFileSync(p, "utf8");
  assert.ok(text.includes(from), `${file} no longer contains ${JSON.stringify(from)}: update this test`);
  fs.writeFileSync(p, every ? text.replaceAll(from, to) : text.replace(from, to));
};
const append = (file, text) => (dir) => fs.appendFileSync(path.join(dir, file), text);

test("the manifests as they are pass", () => {
  const { status, output } = validateCopy(() => {});
  assert.equal(status, 0, output);
  assert.match(output, /\d+ passed, 0 failed/);
});

const broken = [
  ["a misspelled Deployment field", replace("deployment.yaml", "terminationGracePeriodSeconds: 45", "terminationGracePeriodSecond: 45"),
    /unknown field "terminationGracePeriodSecond"/],
  ["a misspelled probe field", replace("deployment.yaml", "failureThreshold: 120", "failureTreshold: 120"),
    /unknown field "failureTreshold"/],
  ["a value of the wrong type", replace("hpa.yaml", "maxReplicas: 8", "maxReplicas: eight"),
    /maxReplicas must be integer/],
  ["a kind no schema knows", append("service.yaml", "---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: keel}\n"),
    /unknown kind example\.com\/v1\/Widget/],
  ["a misspelled ServiceMonitor field", replace("servicemonitor.yaml", "scrapeTimeout: 10s", "scrapeTimout: 10s"),
    /unknown field "scrapeTimout"/],
  ["a misspelled HTTPRoute field", replace("inferencepool.yaml", "      backendRefs:", "      backendRef:"),
    /unknown field "backendRef"/],
  ["a misspelled InferencePool metadata field", replace("inferencepool.yaml", "  name: keel\n  namespace: keel\n  labels:", "  name: keel\n  namespace: keel\n  lables:"),
    /metadata\/lables: unknown field/],
  ["a misspelled endpoint picker parameter", replace("endpoint-picker.yaml", "cacheNumBlocksSpec:", "cacheNumBlockSpec:"),
    /unknown field "cacheNumBlockSpec"/],
  ["a container keeping its capabilities", replace("endpoint-picker.yaml", '              drop: ["ALL"]', '              drop: ["NET_RAW"]'),
    /container epp: capabilities do not drop ALL/],
  ["a Service selector that misses the pods", replace("service.yaml", "  selector:\n    app.kubernetes.io/name: keel", "  selector:\n    app.kubernetes.io/name: kel"),
    /expected one Service selecting the keel pods, found 0/],
  ["a PodDisruptionBudget selector that misses the pods", replace("pdb.yaml", "      app.kubernetes.io/instance: keel", "      app.kubernetes.io/instance: other"),
    /PodDisruptionBudget\/keel does not select the keel pods/],
  ["an InferencePool selector that also takes the endpoint picker", replace("inferencepool.yaml", "      app.kubernetes.io/name: keel\n      app.kubernetes.io/instance: keel\n  # Each", "      app.kubernetes.io/instance: keel\n  # Each"),
    /InferencePool\/keel also selects pods of another Deployment/],
  ["a misspelled InferencePool field", replace("inferencepool.yaml", "  targetPorts:", "  targetPort:"),
    /unknown field "targetPort"/],
  ["an InferencePool without its endpoint picker", replace("inferencepool.yaml", "  endpointPickerRef:", "  endpointPickerReference:"),
    /"endpointPickerRef" is required/],
  ["an InferenceObjective pointing elsewhere", replace("inferencepool.yaml", "    name: keel\n---\napiVersion: llm-d.ai/v1alpha2", "    name: vllm\n---\napiVersion: llm-d.ai/v1alpha2"),
    /InferenceObjective\/interactive: poolRef .* is not the InferencePool/],
  ["a ServiceMonitor on a port the Service lacks", replace("servicemonitor.yaml", "- port: http", "- port: metrics"),
    /endpoint port "metrics" is not a port name/],
  ["a liveness probe on the wrong path", replace("deployment.yaml", "path: /health", "path: /healthz"),
    /livenessProbe asks \/healthz/],
  ["a probe on a port the container lacks", replace("deployment.yaml", "              path: /health\n              port: http", "              path: /health\n              port: 9090"),
    /livenessProbe port 9090 is not a port of the container/],
  ["a grace period shorter than the drain", replace("deployment.yaml", "terminationGracePeriodSeconds: 45", "terminationGracePeriodSeconds: 30"),
    /grace 30 s <= preStop 5 s \+ drain 30 s/],
  ["a startup probe too short for loading", replace("deployment.yaml", "failureThreshold: 120", "failureThreshold: 6"),
    /startupProbe allows 30 s for loading/],
  ["an HPA metric the adapter does not serve", replace("hpa.yaml", "name: keel_num_requests_waiting", "name: keel_requests_waiting"),
    /metric keel_requests_waiting is not one the adapter rules serve/],
  ["an adapter rule with a misspelled field", replace("prometheus-adapter-rules.yaml", "        metricsQuery:", "        metricQuery:"),
    /unknown field "metricQuery"/],
  ["an adapter rule on a counter", replace("prometheus-adapter-rules.yaml", "keel:kv_cache_usage_perc", "keel:prefix_cache_hits_total", true),
    /keel:prefix_cache_hits_total is a counter, not a gauge/],
  ["an adapter rule whose name pattern matches nothing it selects", replace("prometheus-adapter-rules.yaml", '"^keel:kv_cache_usage_perc$"', '"^keel:kv_cache_usage$"'),
    /rules\/1: serves none of the series it selects/],
  ["an endpoint picker reading a metric keel lacks", replace("endpoint-picker.yaml", "kvUsageSpec: keel:kv_cache_usage_perc", "kvUsageSpec: vllm:kv_cache_usage_perc"),
    /kvUsageSpec vllm:kv_cache_usage_perc is not a gauge keel exports/],
  ["the keel pods labelled with another engine", replace("deployment.yaml", "        llm-d.ai/engine-type: keel", "        llm-d.ai/engine-type: vllm"),
    /engine "vllm" .* has no engineConfig/],
  ["a metric flag the picker refuses", replace("endpoint-picker.yaml", "            - --tracing=false", "            - --tracing=false\n            - --kv-cache-usage-percentage-metric=keel:kv_cache_usage_perc"),
    /--kv-cache-usage-percentage-metric: the picker refuses it/],
  ["a plugin reference to nothing", replace("endpoint-picker.yaml", "          - pluginRef: prefix-cache-scorer", "          - pluginRef: prefix-scorer"),
    /pluginRef prefix-scorer names no plugin/],
  ["an object in another namespace", replace("pdb.yaml", "namespace: keel", "namespace: default"),
    /PodDisruptionBudget\/keel is in namespace default/],
  ["YAML that does not parse", append("hpa.yaml", "  bad: [unclosed\n"),
    /FAIL hpa\.yaml/],
];

for (const [name, edit, expected] of broken) {
  test(`fails on ${name}`, () => {
    const { status, output } = validateCopy(edit);
    assert.equal(status, 1, output);
    assert.match(output, expected, output);
  });
}
