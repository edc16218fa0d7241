// Validates the Kubernetes manifests in deploy/kubernetes/ (or the folder
// given as the first argument): every document of every *.yaml file
// against the schema of its kind, then the references between them.
//
//   node validate_manifests.mjs [DIR]
//
// Schemas:
//  - Kubernetes kinds: the `kubernetes-models` npm package (the OpenAPI
//    schemas of the Kubernetes API, compiled); the ServiceMonitor from
//    `@kubernetes-models/prometheus-operator`, the HTTPRoute from
//    `@kubernetes-models/gateway-api`. Their .validate() checks types,
//    required fields and formats but, like the API's OpenAPI schemas,
//    lets unknown fields through; a misspelled field is caught here by
//    watching which fields the compiled validator reads (see
//    `unknownFields`): a field it never looks at is not in the schema, as
//    `kubectl apply --validate=strict` would say.
//  - InferencePool (inference.networking.k8s.io/v1) and InferenceObjective
//    (llm-d.ai/v1alpha2) have no npm model: they are checked against small
//    hand-made schemas below, written from the upstream API types and CRDs
//    (required fields, types, enums, patterns, limits), as are the
//    Prometheus Adapter's rules file and the endpoint picker's
//    EndpointPickerConfig carried in ConfigMaps.
//  - Any other apiVersion/kind, or a ConfigMap whose contents no check
//    knows, fails: nothing goes unchecked.
//
// References: the Service, PodDisruptionBudget, InferencePool and (through
// the Service) ServiceMonitor select the keel pods and nothing else; probes
// and ports name the container's port; the grace period exceeds the preStop
// sleep plus --drain-timeout; the HPA's metrics are ones the adapter rules
// serve, from gauges keel exports (src/server/server_metrics.cpp); the
// endpoint picker reads keel's gauges for the engine the pods are labelled
// with; every name referred to exists.
//
// Prints one line per check and ends with "N passed, N failed"; exits 1 if
// any failed.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments, parse as parseYaml } from "yaml";

import { Namespace } from "kubernetes-models/v1/Namespace";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { HTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute";
import { ObjectMeta } from "@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, "..", "..", "..");
const DIR = path.resolve(process.argv[2] ?? path.join(REPO, "deploy", "kubernetes"));
const SERVER_METRICS = path.join(REPO, "src", "server", "server_metrics.cpp");

// ---------------------------------------------------------------- reporting

let passed = 0;
let failed = 0;
function check(what, errors) {
  if (errors.length === 0) {
    passed++;
    console.log(`ok   ${what}`);
  } else {
    failed++;
    console.log(`FAIL ${what}`);
    for (const e of errors) console.log(`       ${e}`);
  }
}
/** Runs fn(errors) and reports `what` with the errors it pushed (or threw). */
function run(what, fn) {
  const errors = [];
  try {
    fn(errors);
  } catch (e) {
    errors.push(`${e.message}`);
  }
  check(what, errors);
}

// ------------------------------------------- Kubernetes schemas, strictly

// apiVersion/kind -> model class. Only these kinds are expected here.
const MODELS = new Map(
  [Namespace, Service, ServiceAccount, ConfigMap, Deployment, PodDisruptionBudget, HorizontalPodAutoscaler, Role,
    RoleBinding, ServiceMonitor, HTTPRoute].map((cls) => [`${cls.apiVersion}/${cls.kind}`, cls]),
);

/** Wraps `value` so that every field read (and every map iteration) below
 *  it is recorded in `seen` as a JSON pointer ("/spec/replicas", or
 *  "/metadata/labels/*" for a map the validator iterates). */
function tracked(value, pointer, seen) {
  if (value === null || typeof value !== "object") return value;
  return new Proxy(value, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (typeof key !== "string") return v;
      seen.add(`${pointer}/${key}`);
      return tracked(v, `${pointer}/${key}`, seen);
    },
    ownKeys(target) {
      seen.add(`${pointer}/*`);
      return Reflect.ownKeys(target);
    },
  });
}

/** The fields of `value` that the validator never read: not in the schema. */
function unknownFields(value, pointer, seen, out = []) {
  if (Array.isArray(value)) {
    value.forEach((item, i) => unknownFields(item, `${pointer}/${i}`, seen, out));
  } else if (value !== null && typeof value === "object") {
    for (const key of Object.keys(value)) {
      const child = `${pointer}/${key}`;
      if (!seen.has(child) && !seen.has(`${pointer}/*`)) out.push(`${child}: unknown field "${key}"`);
      else unknownFields(value[key], child, seen, out);
    }
  }
  return out;
}

/** Validates a plain object with a kubernetes-models class: schema errors
 *  and unknown fields, as messages. */
function validateModel(cls, data) {
  const seen = new Set();
  const errors = [];
  try {
    cls.prototype.validate.call(tracked(data, "", seen));
  } catch (e) {
    errors.push(`schema: ${e.message}`);
  }
  return errors.concat(unknownFields(data, "", seen));
}

// ------------------------------------------------ hand-made schemas (small)
//
// A schema is one of:
//   {type: "object", properties: {...}, required: [...], values: schema}
//       (`values`: a map whose keys are free; without it unknown keys fail)
//   {type: "array", items, minItems, maxItems}
//   {type: "string", enum, pattern, minLength, maxLength}
//   {type: "integer", minimum, maximum}   {type: "number"}   {type: "boolean"}
//   {type: "any"}
function validateSchema(schema, value, pointer = "", out = []) {
  const at = pointer || "/";
  switch (schema.type) {
    case "any":
      return out;
    case "object": {
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        out.push(`${at}: must be an object`);
        return out;
      }
      for (const key of schema.required ?? []) if (value[key] === undefined) out.push(`${at}: "${key}" is required`);
      const n = Object.keys(value).length;
      if (schema.minProperties !== undefined && n < schema.minProperties) out.push(`${at}: at least ${schema.minProperties} entries`);
      if (schema.maxProperties !== undefined && n > schema.maxProperties) out.push(`${at}: at most ${schema.maxProperties} entries`);
      for (const [key, v] of Object.entries(value)) {
        const sub = schema.properties?.[key] ?? schema.values;
        if (!sub) out.push(`${pointer}/${key}: unknown field "${key}"`);
        else validateSchema(sub, v, `${pointer}/${key}`, out);
      }
      return out;
    }
    case "array":
      if (!Array.isArray(value)) {
        out.push(`${at}: must be a list`);
        return out;
      }
      if (schema.minItems !== undefined && value.length < schema.minItems) out.push(`${at}: at least ${schema.minItems} items`);
      if (schema.maxItems !== undefined && value.length > schema.maxItems) out.push(`${at}: at most ${schema.maxItems} items`);
      value.forEach((item, i) => validateSchema(schema.items, item, `${pointer}/${i}`, out));
      return out;
    case "string":
      if (typeof value !== "string") out.push(`${at}: must be a string`);
      else {
        if (schema.enum && !schema.enum.includes(value)) out.push(`${at}: must be one of ${schema.enum.join(", ")}`);
        if (schema.pattern && !new RegExp(schema.pattern).test(value)) out.push(`${at}: must match ${schema.pattern}`);
        if (schema.minLength !== undefined && value.length < schema.minLength) out.push(`${at}: too short`);
        if (schema.maxLength !== undefined && value.length > schema.maxLength) out.push(`${at}: too long`);
      }
      return out;
    case "integer":
      if (!Number.isInteger(value)) out.push(`${at}: must be an integer`);
      else {
        if (schema.minimum !== undefined && value < schema.minimum) out.push(`${at}: must be >= ${schema.minimum}`);
        if (schema.maximum !== undefined && value > schema.maximum) out.push(`${at}: must be <= ${schema.maximum}`);
      }
      return out;
    case "number":
      if (typeof value !== "number") out.push(`${at}: must be a number`);
      return out;
    case "boolean":
      if (typeof value !== "boolean") out.push(`${at}: must be true or false`);
      return out;
    default:
      throw new Error(`schema at ${at} has no type`);
  }
}

const str = (extra = {}) => ({ type: "string", ...extra });
const int = (extra = {}) => ({ type: "integer", ...extra });
const obj = (properties, required = [], extra = {}) => ({ type: "object", properties, required, ...extra });
const arr = (items, extra = {}) => ({ type: "array", items, ...extra });
const INT32 = { minimum: -(2 ** 31), maximum: 2 ** 31 - 1 };

// Shared types of the Inference Extension APIs (api/v1/shared_types.go).
const GROUP = str({ maxLength: 253, pattern: "^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$" });
const KIND = str({ minLength: 1, maxLength: 63, pattern: "^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$" });
const OBJECT_NAME = str({ minLength: 1, maxLength: 253 });
const PORT = obj({ number: int({ minimum: 1, maximum: 65535 }) }, ["number"]);
const LABEL_VALUE = str({ maxLength: 63, pattern: "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$" });
const TOP = { apiVersion: str(), kind: str(), metadata: { type: "any" } }; // metadata: ObjectMeta, below

// InferencePool, inference.networking.k8s.io/v1: from
// kubernetes-sigs/gateway-api-inference-extension api/v1/inferencepool_types.go
// and config/crd/bases/inference.networking.k8s.io_inferencepools.yaml
// (releases v1.0 to v1.6). endpointPickerRef is required here: the CRDs of
// v1.0 to v1.5 require it (v1.6 made it optional), and without it nothing
// routes by keel's metrics.
const INFERENCE_POOL = obj({
  ...TOP,
  spec: obj({
    selector: obj({ matchLabels: { type: "object", values: LABEL_VALUE, minProperties: 1, maxProperties: 64 } }, ["matchLabels"]),
    targetPorts: arr(PORT, { minItems: 1, maxItems: 8 }),
    appProtocol: str({ enum: ["http", "kubernetes.io/h2c"] }),
    endpointPickerRef: obj({
      group: GROUP,
      kind: KIND,
      name: OBJECT_NAME,
      port: PORT,
      failureMode: str({ enum: ["FailOpen", "FailClose"] }),
    }, ["name"]),
  }, ["selector", "targetPorts", "endpointPickerRef"]),
}, ["apiVersion", "kind", "metadata", "spec"]);

function inferencePoolRules(pool) { // the CRD's CEL rules
  const errors = [];
  const ports = (pool.spec?.targetPorts ?? []).map((p) => p.number);
  if (new Set(ports).size !== ports.length) errors.push("/spec/targetPorts: port number must be unique");
  const ref = pool.spec?.endpointPickerRef;
  if (ref && (ref.kind ?? "Service") === "Service" && !ref.port) {
    errors.push("/spec/endpointPickerRef: port is required when kind is 'Service' or unspecified");
  }
  return errors;
}

// InferenceObjective, llm-d.ai/v1alpha2: from llm-d/llm-d-router
// apix/v1alpha2/inferenceobjective_types.go and
// config/crd/bases/llm-d.ai_inferenceobjectives.yaml (release v0.9.0).
const INFERENCE_OBJECTIVE = obj({
  ...TOP,
  spec: obj({
    priority: int(INT32),
    poolRef: obj({ group: GROUP, kind: KIND, name: OBJECT_NAME }, ["name"]),
  }, ["poolRef"]),
}, ["apiVersion", "kind", "metadata", "spec"]);

const HAND_MADE = new Map([
  ["inference.networking.k8s.io/v1/InferencePool", { schema: INFERENCE_POOL, rules: inferencePoolRules }],
  ["llm-d.ai/v1alpha2/InferenceObjective", { schema: INFERENCE_OBJECTIVE, rules: () => [] }],
]);

// The Prometheus Adapter's config file (kubernetes-sigs/prometheus-adapter
// pkg/config/config.go; it is read with yaml.UnmarshalStrict, so an unknown
// field stops the adapter).
const ADAPTER_RULE = obj({
  seriesQuery: str({ minLength: 1 }),
  seriesFilters: arr(obj({ is: str(), isNot: str() })),
  resources: obj({
    template: str(),
    overrides: { type: "object", values: obj({ group: str(), resource: str({ minLength: 1 }) }, ["resource"]) },
  }),
  name: obj({ matches: str(), as: str() }),
  metricsQuery: str(),
  labelValueReplacements: arr(obj({ find: str(), replace: str() })),
}, ["seriesQuery"]);
const ADAPTER_CONFIG = obj({
  rules: arr(ADAPTER_RULE),
  externalRules: arr(ADAPTER_RULE),
  resourceRules: { type: "any" },
}, ["rules"]);

// The endpoint picker's EndpointPickerConfig, llm-d.ai/v1alpha1
// (llm-d/llm-d-router apix/config/v1alpha1/endpointpickerconfig_types.go,
// decoded strictly), with the parameters of the plugins used here
// (pkg/epp/framework/plugins/...: metrics-data-source, core-metrics-extractor
// and the scorers), release v0.9.0. A plugin type not listed fails: its
// parameters could not be checked.
const PLUGIN_REF = obj({ pluginRef: str({ minLength: 1 }) }, ["pluginRef"]);
const ENGINE_CONFIG = obj({
  name: str({ minLength: 1 }),
  queuedRequestsSpec: str(),
  runningRequestsSpec: str(),
  kvUsageSpec: str(),
  loraSpec: str(),
  cacheInfoSpec: str(),
  cacheBlockSizeLabelName: str(),
  cacheNumBlocksLabelName: str(),
  cacheBlockSizeSpec: str(),
  cacheNumBlocksSpec: str(),
  customMetrics: arr(obj({ attributeKey: str({ minLength: 1 }), metricSpec: str({ minLength: 1 }) }, ["attributeKey", "metricSpec"])),
}, ["name"]);
const PLUGIN_PARAMETERS = {
  "queue-scorer": obj({}),
  "kv-cache-utilization-scorer": obj({}),
  "prefix-cache-scorer": obj({ prefixMatchInfoProducerName: str() }),
  "max-score-picker": obj({ maxNumOfEndpoints: int({ minimum: 1 }) }),
  "metrics-data-source": obj({ scheme: str({ enum: ["http", "https"] }), path: str({ pattern: "^/" }), insecureSkipVerify: { type: "boolean" } }),
  "core-metrics-extractor": obj({ engineLabelKey: str({ minLength: 1 }), defaultEngine: str({ minLength: 1 }), engineConfigs: arr(ENGINE_CONFIG) }),
};
const EPP_CONFIG = obj({
  apiVersion: str({ enum: ["llm-d.ai/v1alpha1"] }),
  kind: str({ enum: ["EndpointPickerConfig"] }),
  featureGates: arr(str()),
  plugins: arr(obj({ name: str(), type: str({ enum: Object.keys(PLUGIN_PARAMETERS) }), parameters: { type: "any" } }, ["type"]), { minItems: 1 }),
  schedulingProfiles: arr(obj({
    name: str({ minLength: 1 }),
    plugins: arr(obj({ pluginRef: str({ minLength: 1 }), weight: { type: "number" } }, ["pluginRef"]), { minItems: 1 }),
  }, ["name", "plugins"]), { minItems: 1 }),
  dataLayer: obj({
    injectDefaults: { type: "boolean" },
    sources: arr(obj({ pluginRef: str({ minLength: 1 }), extractors: arr(PLUGIN_REF, { minItems: 1 }) }, ["pluginRef", "extractors"])),
  }),
  requestHandler: obj({ parsers: arr(PLUGIN_REF) }),
  flowControl: { type: "any" },
}, ["apiVersion", "kind", "plugins", "schedulingProfiles"]);
const BUILTIN_ENGINES = ["vllm", "sglang", "trtllm-serve", "triton-tensorrt-llm", "triton"];
// The picker's flags (pkg/epp/server/options.go and
// pkg/common/observability/logging/options.go, v0.9.0) ...
const EPP_FLAGS = new Set(["grpc-port", "ha-enable-leader-election", "grpc-max-recv-msg-size", "grpc-max-send-msg-size",
  "pool-group", "pool-namespace", "pool-name", "endpoint-selector", "endpoint-target-ports",
  "disable-endpoint-subset-filter", "model-server-metrics-scheme", "model-server-metrics-path",
  "model-server-metrics-port", "model-server-metrics-https-insecure-skip-verify", "refresh-metrics-interval",
  "refresh-prometheus-metrics-interval", "metrics-staleness-threshold", "tracing", "health-checking", "metrics-port",
  "grpc-health-port", "enable-pprof", "cert-path", "enable-cert-reload", "enable-grpc-stream-metrics", "secure-serving",
  "metrics-endpoint-auth", "config-file", "config-text", "v", "zap-devel", "zap-encoder", "zap-log-level",
  "zap-stacktrace-level", "zap-time-encoding"]);
// ... less these, which it refuses since v0.9.0 (metric names go in engineConfigs).
const EPP_REFUSED_FLAGS = new Set(["total-queued-requests-metric", "total-running-requests-metric",
  "kv-cache-usage-percentage-metric", "lora-info-metric", "cache-info-metric"]);

// ------------------------------------------------------------ load the files

function loadDocuments(dir) {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".yaml") || f.endsWith(".yml")).sort();
  if (files.length === 0) throw new Error(`no YAML files in ${dir}`);
  const docs = [];
  for (const file of files) {
    const text = fs.readFileSync(path.join(dir, file), "utf8");
    parseAllDocuments(text).forEach((doc, i) => {
      const where = `${file}#${i + 1}`;
      const problems = [...doc.errors, ...doc.warnings].map((e) => e.message);
      const data = problems.length ? null : doc.toJS();
      if (data === null && problems.length === 0) return; // an empty document (a trailing ---)
      docs.push({ file, where, data, problems });
    });
  }
  return docs;
}

/** keel's metric families and their types, from its source. */
function keelMetrics() {
  const text = fs.readFileSync(SERVER_METRICS, "utf8");
  const families = new Map();
  for (const m of text.matchAll(/\bfamily\(\s*"([^"]+)"\s*,\s*"(\w+)"/g)) families.set(m[1], m[2]);
  for (const m of text.matchAll(/\bhistogram\(\s*"([^"]+)"/g)) families.set(m[1], "histogram");
  if (!families.has("keel:num_requests_waiting")) throw new Error(`found no keel metrics in ${SERVER_METRICS}`);
  return families;
}

// ------------------------------------------------------------------ helpers

function selects(selector, labels) {
  if (!selector) return false;
  const ml = selector.matchLabels ?? {};
  const me = selector.matchExpressions ?? [];
  if (Object.keys(ml).length === 0 && me.length === 0) return true;
  for (const [k, v] of Object.entries(ml)) if (labels?.[k] !== v) return false;
  for (const { key, operator, values = [] } of me) {
    const has = labels && key in labels;
    if (operator === "In" && !(has && values.includes(labels[key]))) return false;
    if (operator === "NotIn" && has && values.includes(labels[key])) return false;
    if (operator === "Exists" && !has) return false;
    if (operator === "DoesNotExist" && has) return false;
  }
  return true;
}
const selectsMap = (matchLabels, labels) => selects({ matchLabels }, labels);

/** The value after `--flag` or in `--flag=value` in an argument list. */
function flagValue(args, flag) {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === flag) return args[i + 1];
    if (args[i].startsWith(`${flag}=`)) return args[i].slice(flag.length + 1);
  }
  return undefined;
}

/** The container port a probe or Service names (by name or number). */
function containerPort(container, port) {
  return (container.ports ?? []).find((p) => p.name === port || p.containerPort === port);
}

/** Series names a Prometheus series selector selects among `names`. */
function seriesSelected(query, names) {
  const bare = query.match(/^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{|$)/);
  if (bare) return names.filter((n) => n === bare[1]);
  const byName = query.match(/__name__\s*(=~|=|!=|!~)\s*"([^"]*)"/);
  if (!byName) return [];
  const re = new RegExp(`^(?:${byName[2]})$`);
  const op = byName[1];
  return names.filter((n) => (op === "=" ? n === byName[2] : op === "!=" ? n !== byName[2] : op === "=~" ? re.test(n) : !re.test(n)));
}

/** The custom-metric name the adapter gives `series` under `name` (Go's
 *  regexp Expand: $1, ${1}; as empty: $0 without groups, else $1). */
function adapterName(nameRule, series) {
  const re = new RegExp(nameRule?.matches || ".*");
  const m = series.match(re);
  if (!m) return null;
  let as = nameRule?.as ?? "";
  if (as === "") as = m.length > 1 ? "$1" : "$0";
  return as.replace(/\$\{(\w+)\}|\$(\d+)/g, (_, a, b) => m[Number(a ?? b)] ?? "");
}

// --------------------------------------------------------------------- main

console.log(`validating ${DIR}`);
const metrics = keelMetrics();
const docs = loadDocuments(DIR);
const objects = []; // {where, data} of documents that passed their schema
const configs = []; // {where, kind: "adapter"|"epp", data, configMap}

for (const doc of docs) {
  const d = doc.data ?? {};
  const what = `${doc.where} ${d.kind ?? "?"}/${d.metadata?.name ?? "?"} (${d.apiVersion ?? "no apiVersion"})`;
  const errors = [...doc.problems];
  if (!errors.length) {
    const key = `${d.apiVersion}/${d.kind}`;
    if (MODELS.has(key)) {
      errors.push(...validateModel(MODELS.get(key), d));
    } else if (HAND_MADE.has(key)) {
      const { schema, rules } = HAND_MADE.get(key);
      errors.push(...validateSchema(schema, d), ...rules(d));
      errors.push(...validateModel(ObjectMeta, d.metadata ?? {}).map((e) => `metadata${e.replace(/^schema: data/, ": data")}`));
    } else {
      errors.push(`unknown kind ${key}: no schema to check it against`);
    }
    if (!d.metadata?.name) errors.push("metadata.name is required");
  }
  check(what, errors);
  if (errors.length) continue;
  objects.push({ where: doc.where, data: d });

  // What a ConfigMap carries: each *.yaml key must be a file some check knows.
  if (d.kind === "ConfigMap") {
    for (const [key, text] of Object.entries(d.data ?? {})) {
      run(`${doc.where} ConfigMap/${d.metadata.name} ${key}`, (errs) => {
        const content = parseYaml(text, { uniqueKeys: true, strict: true });
        if (content?.kind === "EndpointPickerConfig") {
          errs.push(...validateSchema(EPP_CONFIG, content));
          configs.push({ where: `${doc.where} ${key}`, kind: "epp", data: content, configMap: d, key });
        } else if (content && typeof content === "object" && "rules" in content) {
          errs.push(...validateSchema(ADAPTER_CONFIG, content));
          configs.push({ where: `${doc.where} ${key}`, kind: "adapter", data: content, configMap: d, key });
        } else {
          errs.push("neither an EndpointPickerConfig nor a Prometheus Adapter rules file: no check knows it");
        }
      });
    }
  }
}

// ------------------------------------------------------------ cross-checks

const all = (kind) => objects.filter((o) => o.data.kind === kind).map((o) => o.data);
const one = (kind, pred = () => true) => all(kind).filter(pred);

run("every object is in the namespace of namespace.yaml (the adapter rules in the adapter's)", (errs) => {
  const namespaces = all("Namespace").map((n) => n.metadata.name);
  if (namespaces.length !== 1) errs.push(`expected one Namespace, found ${namespaces.length}`);
  const adapterMaps = new Set(configs.filter((c) => c.kind === "adapter").map((c) => c.configMap));
  for (const { data } of objects) {
    if (data.kind === "Namespace" || adapterMaps.has(data)) continue;
    if (data.metadata.namespace !== namespaces[0]) {
      errs.push(`${data.kind}/${data.metadata.name} is in namespace ${data.metadata.namespace ?? "(none)"}`);
    }
  }
});

const isKeel = (dep) => (dep.spec.template.spec.containers ?? []).some((c) => (c.command ?? [])[0] === "keel");
const keelDeps = one("Deployment", isKeel);
const eppDeps = one("Deployment", (d) => !isKeel(d));
const keel = keelDeps[0];
const keelPod = keel?.spec.template.metadata?.labels ?? {};
const keelContainer = keel?.spec.template.spec.containers.find((c) => (c.command ?? [])[0] === "keel");
const otherPods = one("Deployment", (d) => d !== keel).map((d) => d.spec.template.metadata?.labels ?? {});

/** Stops a cross-check whose subject is missing (or failed its own check
 *  above, and so is left out here) with one clear line. */
function need(thing, what) {
  if (!thing) throw new Error(`cannot check: ${what} is missing or failed its own check above`);
}
const needKeel = () => need(keelContainer, "the keel Deployment");

/** Selects the keel pods and no other pods defined here. */
function selectsKeelOnly(errs, what, matches) {
  if (!matches(keelPod)) errs.push(`${what} does not select the keel pods (labels ${JSON.stringify(keelPod)})`);
  if (otherPods.some(matches)) errs.push(`${what} also selects pods of another Deployment`);
}

run("one keel Deployment (a container running `keel serve`), its selector matching its pods", (errs) => {
  if (keelDeps.length !== 1) throw new Error(`expected one Deployment running keel (that passed its own check), found ${keelDeps.length}`);
  if (!selects(keel.spec.selector, keelPod)) errs.push("spec.selector does not match the pod template's labels");
  const args = keelContainer.args ?? [];
  if (args[0] !== "serve") errs.push("the keel container does not run `keel serve`");
  if (flagValue(args, "--host") !== "0.0.0.0") errs.push("keel must listen on --host 0.0.0.0 in a pod");
  const port = Number(flagValue(args, "--port"));
  if (!containerPort(keelContainer, port)) errs.push(`--port ${port} is not a container port`);
});

run("keel Deployment: probes on the container's port, /health for liveness, /ready for readiness and startup", (errs) => {
  needKeel();
  const c = keelContainer;
  const port = Number(flagValue(c.args ?? [], "--port"));
  const expect = { livenessProbe: ["/health"], readinessProbe: ["/ready"], startupProbe: ["/ready"] };
  for (const [probe, paths] of Object.entries(expect)) {
    const p = c[probe];
    if (!p?.httpGet) {
      errs.push(`${probe} must be an httpGet probe`);
      continue;
    }
    if (!paths.includes(p.httpGet.path)) errs.push(`${probe} asks ${p.httpGet.path}, expected ${paths.join(" or ")}`);
    const cp = containerPort(c, p.httpGet.port);
    if (!cp) errs.push(`${probe} port ${p.httpGet.port} is not a port of the container`);
    else if (cp.containerPort !== port) errs.push(`${probe} port ${p.httpGet.port} is not keel's --port ${port}`);
  }
  // keel answers /health during loading, so only a /ready startup probe
  // covers loading; give it at least 5 minutes.
  const s = c.startupProbe ?? {};
  const allowed = (s.failureThreshold ?? 3) * (s.periodSeconds ?? 10);
  if (allowed < 300) errs.push(`startupProbe allows ${allowed} s for loading; at least 300 s expected`);
});

run("keel Deployment: terminationGracePeriodSeconds > preStop sleep + --drain-timeout", (errs) => {
  needKeel();
  const drain = Number(flagValue(keelContainer.args ?? [], "--drain-timeout"));
  if (!Number.isFinite(drain)) throw new Error("--drain-timeout must be passed explicitly");
  const preStop = keelContainer.lifecycle?.preStop;
  if (!preStop) errs.push("no preStop hook");
  let sleep = preStop?.sleep?.seconds;
  if (sleep === undefined && preStop?.exec?.command?.[0] === "sleep") sleep = Number(preStop.exec.command[1]);
  if (!(sleep > 0)) errs.push("the preStop hook should sleep a few seconds");
  const grace = keel.spec.template.spec.terminationGracePeriodSeconds;
  if (!(grace > (sleep ?? 0) + drain)) errs.push(`grace ${grace} s <= preStop ${sleep} s + drain ${drain} s`);
});

run("keel Deployment: non-root, read-only root filesystem, memory and CPU requests and limits, threads = CPU limit", (errs) => {
  needKeel();
  const pod = keel.spec.template.spec;
  const c = keelContainer;
  if (!(c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot)) errs.push("runAsNonRoot is not set");
  if (c.securityContext?.readOnlyRootFilesystem !== true) errs.push("readOnlyRootFilesystem is not set");
  if (c.securityContext?.allowPrivilegeEscalation !== false) errs.push("allowPrivilegeEscalation is not false");
  for (const kind of ["requests", "limits"]) {
    for (const r of ["cpu", "memory"]) if (c.resources?.[kind]?.[r] === undefined) errs.push(`no ${r} ${kind}`);
  }
  const threads = flagValue(c.args ?? [], "--threads");
  const ref = threads?.match(/^\$\((\w+)\)$/);
  const env = ref && (c.env ?? []).find((e) => e.name === ref[1]);
  if (!env || env.valueFrom?.resourceFieldRef?.resource !== "limits.cpu") {
    errs.push("--threads should come from the container's CPU limit (resourceFieldRef limits.cpu)");
  }
  if (keel.spec.replicas !== undefined && one("HorizontalPodAutoscaler").length) {
    errs.push("spec.replicas is set although an HPA scales the Deployment (each apply would reset it)");
  }
});

run("every pod meets the restricted Pod Security level (non-root, no escalation, no capabilities, seccomp)", (errs) => {
  for (const dep of all("Deployment")) {
    const pod = dep.spec.template.spec;
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      const at = `Deployment/${dep.metadata.name} container ${c.name}`;
      const sc = c.securityContext ?? {};
      if (!(sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot)) errs.push(`${at}: runAsNonRoot is not set`);
      if ((sc.runAsUser ?? pod.securityContext?.runAsUser) === 0) errs.push(`${at}: runs as user 0`);
      if (sc.allowPrivilegeEscalation !== false) errs.push(`${at}: allowPrivilegeEscalation is not false`);
      if (!(sc.capabilities?.drop ?? []).includes("ALL")) errs.push(`${at}: capabilities do not drop ALL`);
      if ((sc.capabilities?.add ?? []).some((cap) => cap !== "NET_BIND_SERVICE")) errs.push(`${at}: adds capabilities`);
      const seccomp = sc.seccompProfile?.type ?? pod.securityContext?.seccompProfile?.type;
      if (!["RuntimeDefault", "Localhost"].includes(seccomp)) errs.push(`${at}: no RuntimeDefault seccomp profile`);
      if (sc.privileged) errs.push(`${at}: privileged`);
    }
    if (pod.hostNetwork || pod.hostPID || pod.hostIPC) errs.push(`Deployment/${dep.metadata.name}: shares a host namespace`);
    for (const v of pod.volumes ?? []) {
      if (!["emptyDir", "configMap", "secret", "projected", "downwardAPI", "persistentVolumeClaim", "ephemeral", "csi"].some((k) => k in v)) {
        errs.push(`Deployment/${dep.metadata.name}: volume ${v.name} is of a kind the restricted level forbids`);
      }
    }
  }
});

run("Service selects the keel pods only, and its target port is keel's", (errs) => {
  needKeel();
  const services = one("Service", (s) => selects({ matchLabels: s.spec.selector }, keelPod));
  if (services.length !== 1) throw new Error(`expected one Service selecting the keel pods, found ${services.length}`);
  const svc = services[0];
  selectsKeelOnly(errs, `Service/${svc.metadata.name}`, (labels) => selectsMap(svc.spec.selector, labels));
  for (const p of svc.spec.ports) {
    if (!containerPort(keelContainer, p.targetPort ?? p.port)) errs.push(`port ${p.name}: targetPort ${p.targetPort} is not a keel container port`);
  }
});

run("PodDisruptionBudget selects the keel pods only, and the HPA keeps more pods than it lets go", (errs) => {
  needKeel();
  const pdbs = all("PodDisruptionBudget");
  if (pdbs.length !== 1) throw new Error(`expected one PodDisruptionBudget, found ${pdbs.length}`);
  selectsKeelOnly(errs, `PodDisruptionBudget/${pdbs[0].metadata.name}`, (l) => selects(pdbs[0].spec.selector, l));
  const hpa = all("HorizontalPodAutoscaler")[0];
  const maxUnavailable = pdbs[0].spec.maxUnavailable;
  if (hpa && Number.isInteger(maxUnavailable) && !(hpa.spec.minReplicas > maxUnavailable)) {
    errs.push(`HPA minReplicas ${hpa.spec.minReplicas} <= PDB maxUnavailable ${maxUnavailable}: a drain could stop them all`);
  }
});

run("ServiceMonitor selects the keel Service, by a port it has, and scrapes /metrics", (errs) => {
  needKeel();
  const monitors = all("ServiceMonitor");
  if (monitors.length !== 1) throw new Error(`expected one ServiceMonitor, found ${monitors.length}`);
  const sm = monitors[0];
  if (sm.spec.namespaceSelector) errs.push("namespaceSelector: the keel Service is in the monitor's own namespace");
  const services = all("Service").filter((s) => selects(sm.spec.selector, s.metadata.labels ?? {}));
  if (services.length !== 1) throw new Error(`selects ${services.length} Services, expected the keel one`);
  const svc = services[0];
  selectsKeelOnly(errs, `Service/${svc.metadata.name} (monitored)`, (labels) => selectsMap(svc.spec.selector, labels));
  for (const ep of sm.spec.endpoints ?? []) {
    if (!svc.spec.ports.some((p) => p.name === ep.port)) errs.push(`endpoint port "${ep.port}" is not a port name of Service/${svc.metadata.name}`);
    if ((ep.path ?? "/metrics") !== "/metrics") errs.push(`endpoint path ${ep.path}: keel serves /metrics`);
  }
});

// Adapter rules: the custom metrics they serve, from keel's gauges.
const served = new Map(); // custom metric name -> keel series
run("Prometheus Adapter rules: each serves keel gauges, per pod, under a name without ':'", (errs) => {
  const adapters = configs.filter((c) => c.kind === "adapter");
  if (adapters.length !== 1) throw new Error(`expected one adapter rules file, found ${adapters.length}`);
  for (const [i, rule] of adapters[0].data.rules.entries()) {
    const series = seriesSelected(rule.seriesQuery, [...metrics.keys()]);
    if (series.length === 0) errs.push(`rules/${i}: seriesQuery ${rule.seriesQuery} selects no metric keel exports`);
    const overrides = rule.resources?.overrides ?? {};
    if (overrides.pod?.resource !== "pod" || overrides.namespace?.resource !== "namespace") {
      errs.push(`rules/${i}: resources.overrides must map the labels pod and namespace (the HPA asks per pod)`);
    }
    for (const needed of ["<<.Series>>", "<<.LabelMatchers>>", "<<.GroupBy>>"]) {
      if (!(rule.metricsQuery ?? "").includes(needed)) errs.push(`rules/${i}: metricsQuery lacks ${needed}`);
    }
    const named = series.filter((s) => adapterName(rule.name, s) !== null);
    if (series.length && !named.length) errs.push(`rules/${i}: serves none of the series it selects (name.matches ${rule.name?.matches})`);
    for (const s of named) {
      const name = adapterName(rule.name, s);
      if (metrics.get(s) !== "gauge") errs.push(`rules/${i}: ${s} is a ${metrics.get(s)}, not a gauge`);
      if (name.includes(":")) errs.push(`rules/${i}: serves ${s} as ${name}, with a ':'`);
      served.set(name, s);
    }
  }
});

run("HPA scales the keel Deployment on metrics the adapter serves, with a scale-down window and a scale-up policy", (errs) => {
  needKeel();
  const hpas = all("HorizontalPodAutoscaler");
  if (hpas.length !== 1) throw new Error(`expected one HPA, found ${hpas.length}`);
  const hpa = hpas[0];
  const ref = hpa.spec.scaleTargetRef;
  if (ref.kind !== "Deployment" || ref.name !== keel.metadata.name) errs.push(`scaleTargetRef is ${ref.kind}/${ref.name}, not the keel Deployment`);
  const names = (hpa.spec.metrics ?? []).map((m) => m.pods?.metric?.name ?? m.object?.metric?.name ?? m.external?.metric?.name);
  for (const want of ["keel:num_requests_waiting", "keel:kv_cache_usage_perc"]) {
    if (!names.some((n) => served.get(n) === want)) errs.push(`no metric on ${want}`);
  }
  for (const n of names) if (!served.has(n)) errs.push(`metric ${n} is not one the adapter rules serve (${[...served.keys()].join(", ")})`);
  const down = hpa.spec.behavior?.scaleDown?.stabilizationWindowSeconds;
  if (!(down >= 60)) errs.push(`scaleDown.stabilizationWindowSeconds is ${down}; at least 60 expected`);
  if (!(hpa.spec.behavior?.scaleUp?.policies?.length > 0)) errs.push("no scaleUp policy");
});

// The Inference Extension.
const pools = all("InferencePool");
run("InferencePool selects the keel pods only, on keel's port, with its endpoint picker's Service", (errs) => {
  needKeel();
  if (pools.length !== 1) throw new Error(`expected one InferencePool (that passed its own check), found ${pools.length}`);
  const pool = pools[0];
  selectsKeelOnly(errs, `InferencePool/${pool.metadata.name}`, (l) => selectsMap(pool.spec.selector.matchLabels, l));
  for (const p of pool.spec.targetPorts) {
    if (!containerPort(keelContainer, p.number)) errs.push(`targetPort ${p.number} is not a keel container port`);
  }
  const ref = pool.spec.endpointPickerRef;
  const svc = all("Service").find((s) => s.metadata.name === ref.name);
  if ((ref.kind ?? "Service") !== "Service" || !svc) throw new Error(`endpointPickerRef: no Service ${ref.name}`);
  const port = svc.spec.ports.find((p) => p.port === ref.port.number);
  if (!port) errs.push(`endpointPickerRef: Service/${svc.metadata.name} has no port ${ref.port.number}`);
  const picker = eppDeps.find((d) => selectsMap(svc.spec.selector, d.spec.template.metadata?.labels));
  if (!picker) throw new Error(`Service/${svc.metadata.name} selects no endpoint picker Deployment`);
  if (selectsMap(svc.spec.selector, keelPod)) errs.push(`Service/${svc.metadata.name} also selects the keel pods`);
  if (port && !picker.spec.template.spec.containers.some((c) => containerPort(c, port.targetPort ?? port.port))) {
    errs.push(`Service/${svc.metadata.name} port ${port.port}: targetPort ${port.targetPort} is no picker container port`);
  }
});

run("InferenceObjectives and the HTTPRoute refer to the InferencePool", (errs) => {
  need(pools.length === 1, "the InferencePool");
  const poolNames = pools.map((p) => p.metadata.name);
  for (const o of all("InferenceObjective")) {
    const r = o.spec.poolRef;
    if ((r.kind ?? "InferencePool") !== "InferencePool" || (r.group ?? "inference.networking.k8s.io") !== "inference.networking.k8s.io" || !poolNames.includes(r.name)) {
      errs.push(`InferenceObjective/${o.metadata.name}: poolRef ${r.group}/${r.kind}/${r.name} is not the InferencePool`);
    }
  }
  const routes = all("HTTPRoute");
  if (routes.length === 0) errs.push("no HTTPRoute sends traffic to the pool");
  for (const route of routes) {
    for (const rule of route.spec.rules ?? []) {
      for (const b of rule.backendRefs ?? []) {
        if (b.kind !== "InferencePool" || b.group !== "inference.networking.k8s.io" || !poolNames.includes(b.name)) {
          errs.push(`HTTPRoute/${route.metadata.name}: backendRef ${b.group}/${b.kind}/${b.name} is not the InferencePool`);
        }
      }
    }
  }
});

run("endpoint picker: its flags, its config file mounted, its pool, keel's metric names for the pods' engine", (errs) => {
  needKeel();
  const epps = configs.filter((c) => c.kind === "epp");
  if (epps.length !== 1) throw new Error(`expected one EndpointPickerConfig, found ${epps.length}`);
  const { data: cfg, configMap, key } = epps[0];
  if (eppDeps.length !== 1) throw new Error(`expected one endpoint picker Deployment, found ${eppDeps.length}`);
  const dep = eppDeps[0];
  const c = dep.spec.template.spec.containers[0];
  const args = c.args ?? [];
  for (const a of args.filter((x) => x.startsWith("-"))) {
    const flag = a.replace(/^--?/, "").split("=")[0];
    if (EPP_REFUSED_FLAGS.has(flag)) errs.push(`--${flag}: the picker refuses it since v0.9.0; name metrics in engineConfigs`);
    else if (!EPP_FLAGS.has(flag)) errs.push(`--${flag}: not a flag of the endpoint picker`);
  }
  const pool = pools[0];
  need(pool, "the InferencePool");
  if (flagValue(args, "--pool-name") !== pool?.metadata.name) errs.push("--pool-name is not the InferencePool's name");
  if (flagValue(args, "--pool-namespace") !== pool?.metadata.namespace) errs.push("--pool-namespace is not the InferencePool's namespace");
  const grpc = Number(flagValue(args, "--grpc-port") ?? 9002);
  if (!containerPort(c, grpc)) errs.push(`--grpc-port ${grpc} is not a container port`);
  // --config-file is the ConfigMap's key, mounted.
  const file = flagValue(args, "--config-file") ?? "";
  const mount = (c.volumeMounts ?? []).find((m) => file === path.posix.join(m.mountPath, key));
  const volume = mount && dep.spec.template.spec.volumes.find((v) => v.name === mount.name);
  if (volume?.configMap?.name !== configMap.metadata.name) errs.push(`--config-file ${file} is not ${key} of ConfigMap/${configMap.metadata.name} mounted`);
  // Plugin references resolve.
  const plugins = new Map();
  for (const p of cfg.plugins) {
    const name = p.name || p.type;
    if (plugins.has(name)) errs.push(`plugin ${name} defined twice`);
    plugins.set(name, p);
    errs.push(...validateSchema(PLUGIN_PARAMETERS[p.type], p.parameters ?? {}, `/plugins/${name}/parameters`));
  }
  const refs = [
    ...cfg.schedulingProfiles.flatMap((s) => s.plugins.map((p) => p.pluginRef)),
    ...(cfg.dataLayer?.sources ?? []).flatMap((s) => [s.pluginRef, ...s.extractors.map((e) => e.pluginRef)]),
  ];
  for (const r of refs) if (!plugins.has(r)) errs.push(`pluginRef ${r} names no plugin`);
  // keel's names for the engine the keel pods are labelled with.
  const extractor = cfg.plugins.find((p) => p.type === "core-metrics-extractor")?.parameters;
  if (!extractor) throw new Error("no core-metrics-extractor: the picker would read vLLM's metric names");
  const labelKey = extractor.engineLabelKey ?? "llm-d.ai/engine-type";
  const engine = keelPod[labelKey] ?? extractor.defaultEngine ?? "vllm";
  const engines = (extractor.engineConfigs ?? []).map((e) => e.name);
  if (extractor.defaultEngine && ![...engines, ...BUILTIN_ENGINES].includes(extractor.defaultEngine)) {
    errs.push(`defaultEngine ${extractor.defaultEngine} is not an engine config`);
  }
  if (engines.includes("default")) errs.push('an engine config may not be named "default"');
  const spec = (extractor.engineConfigs ?? []).find((e) => e.name === engine);
  if (!spec) throw new Error(`the keel pods' engine "${engine}" (label ${labelKey}) has no engineConfig`);
  const required = ["queuedRequestsSpec", "runningRequestsSpec", "kvUsageSpec"];
  for (const field of required) if (!spec[field]) errs.push(`engine ${engine}: ${field} is empty`);
  for (const field of Object.keys(spec).filter((f) => f.endsWith("Spec") && spec[f])) {
    const name = spec[field].replace(/\{.*$/, "");
    if (metrics.get(name) !== "gauge") errs.push(`engine ${engine}: ${field} ${spec[field]} is not a gauge keel exports`);
  }
  // The picker scrapes the pool's target port, at the data source's path.
  const source = cfg.plugins.find((p) => p.type === "metrics-data-source")?.parameters ?? {};
  if ((source.path ?? "/metrics") !== "/metrics" || (source.scheme ?? "http") !== "http") {
    errs.push(`metrics-data-source scrapes ${source.scheme}://POD${source.path}; keel serves http://POD/metrics`);
  }
});

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
