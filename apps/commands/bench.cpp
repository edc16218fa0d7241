// keel bench: measure a server (serve), gate an upgrade on two results
// (compare), check that two models say the same things (quality), run a
// long steady load with a drift report (soak), and time a model's prompt
// and decode steps on this machine (model, in bench_model.cpp). The measuring lives in
// src/bench/; this file only turns flags into its configurations.
#include "commands/commands.h"

#include <cmath>
#include <cstdio>
#include <memory>

#include "bench/compare.h"
#include "bench/drift.h"
#include "bench/quality_run.h"
#include "bench/result_file.h"
#include "bench/serve_benchmark.h"
#include "bench/soak_runner.h"
#include "bench/units.h"

namespace keel::cli {
namespace {

// Flags that `bench serve` and `bench soak` share, as the user wrote them.
struct LoadFlags {
  std::string url = "http://127.0.0.1:8080";
  std::string api_key, model, endpoint = "chat";
  std::string request_rate = "inf";
  double burstiness = 1.0;
  int32_t max_concurrency = 0;
  uint64_t num_requests = 0;
  std::string duration;
  std::string timeout = "600s";
  bool no_ignore_eos = false;
  bench::WorkloadOptions workload;
};

void add_load_flags(CLI::App* app, LoadFlags& f) {
  app->add_option("--url", f.url, "server base URL")->capture_default_str();
  app->add_option("--api-key", f.api_key, "sent as Authorization: Bearer KEY");
  app->add_option("--model", f.model, "the model field of each request (default: none, the server's own)");
  app->add_option("--endpoint", f.endpoint, "chat (/v1/chat/completions) or completions (/v1/completions)")
      ->check(CLI::IsMember({"chat", "completions"}))->capture_default_str();
  app->add_option("--request-rate", f.request_rate, "requests per second, Poisson arrivals; inf: all at once")
      ->capture_default_str();
  app->add_option("--burstiness", f.burstiness, "gamma shape of the arrival gaps (1: Poisson, <1 burstier)")
      ->capture_default_str();
  app->add_option("--max-concurrency", f.max_concurrency, "requests in flight at most (0: no cap)")->capture_default_str();
  app->add_option("--duration", f.duration, "how long to send requests: 90s, 30m, 24h");
  app->add_option("--timeout", f.timeout, "per-request timeout")->capture_default_str();
  app->add_flag("--no-ignore-eos", f.no_ignore_eos, "do not send ignore_eos/min_tokens; short outputs then pass");
  auto& w = f.workload;
  app->add_option("--workload", w.kind, "random, multiturn, shared-prefix or jsonl")
      ->check(CLI::IsMember({"random", "multiturn", "shared-prefix", "jsonl"}))->capture_default_str();
  app->add_option("--input-len", w.input_len, "prompt words per request (per turn, per question)")->capture_default_str();
  app->add_option("--output-len", w.output_len, "output tokens asked for per request")->capture_default_str();
  app->add_option("--range-ratio", w.range_ratio, "draw lengths uniformly in len*[1-r, 1+r]")->capture_default_str();
  app->add_option("--prefix-len", w.prefix_len, "shared-prefix: words of the common system prompt")->capture_default_str();
  app->add_option("--turns", w.turns, "multiturn: user turns per conversation")->capture_default_str();
  app->add_option("--conversations", w.conversations, "multiturn: conversations interleaved")->capture_default_str();
  app->add_option("--dataset", w.dataset, "jsonl: one {\"prompt\"} or {\"messages\"} object per line");
  app->add_option("--seed", w.seed, "seed of the workload and the arrival times")->capture_default_str();
}

// Turns the shared flags into the endpoint and load shape.
Status resolve(const LoadFlags& f, bench::EndpointConfig& endpoint, bench::LoadShape& shape) {
  auto url = bench::parse_url(f.url);
  if (!url.ok()) return url.error();
  endpoint.url = *url;
  endpoint.api_key = f.api_key;
  endpoint.model = f.model;
  endpoint.endpoint = f.endpoint == "completions" ? bench::Endpoint::kCompletions : bench::Endpoint::kChat;
  endpoint.ignore_eos = !f.no_ignore_eos;
  auto timeout = bench::parse_duration_seconds(f.timeout);
  if (!timeout.ok()) return timeout.error();
  endpoint.request_timeout_s = *timeout;
  auto rate = bench::parse_rate(f.request_rate);
  if (!rate.ok()) return rate.error();
  shape.request_rate = *rate;
  shape.burstiness = f.burstiness;
  shape.max_concurrency = f.max_concurrency;
  shape.num_requests = f.num_requests;
  shape.seed = f.workload.seed;
  if (!f.duration.empty()) {
    auto duration = bench::parse_duration_seconds(f.duration);
    if (!duration.ok()) return duration.error();
    shape.duration_s = *duration;
  }
  return ok_status();
}

nlohmann::json describe(const LoadFlags& f) {
  const auto& w = f.workload;
  return {{"url", f.url}, {"model", f.model}, {"endpoint", f.endpoint}, {"request_rate", f.request_rate},
          {"burstiness", f.burstiness}, {"max_concurrency", f.max_concurrency}, {"num_requests", f.num_requests},
          {"duration", f.duration}, {"ignore_eos", !f.no_ignore_eos}, {"workload", w.kind},
          {"input_len", w.input_len}, {"output_len", w.output_len}, {"range_ratio", w.range_ratio},
          {"prefix_len", w.prefix_len}, {"turns", w.turns}, {"conversations", w.conversations},
          {"dataset", w.dataset}, {"seed", w.seed}};
}

Command add_serve(CLI::App* bench_app) {
  struct Options {
    LoadFlags load;
    std::string output, slo, metrics_path = "/metrics";
  };
  auto o = std::make_shared<Options>();
  CLI::App* app = bench_app->add_subcommand("serve", "Benchmark an OpenAI-compatible server with streaming requests");
  app->add_option("--metrics-path", o->metrics_path,
                  "the server's Prometheus endpoint, for its resident memory before, during and after ('': none)")
      ->capture_default_str();
  add_load_flags(app, o->load);
  app->add_option("--num-requests", o->load.num_requests, "requests to send (default 100 without --duration)");
  app->add_option("--output", o->output, "write the JSON result here");
  app->add_option("--slo", o->slo, "goodput objective, e.g. ttft=500ms,tpot=50ms (also itl, e2e)");
  return {app, [o]() -> int {
            if (o->load.num_requests == 0 && o->load.duration.empty()) o->load.num_requests = 100;
            bench::ServeBenchmarkConfig config;
            config.workload = o->load.workload;
            if (Status s = resolve(o->load, config.endpoint, config.shape); !s.ok()) return fail(s.error());
            if (Status s = bench::validate(config.shape); !s.ok()) return fail(s.error());
            if (!o->slo.empty()) {
              auto slo = bench::parse_slo(o->slo);
              if (!slo.ok()) return fail(slo.error());
              config.slo = *slo;
            }
            config.output_path = o->output;
            config.metrics_path = o->metrics_path;
            config.described = describe(o->load);
            config.described["slo"] = o->slo;
            return bench::run_serve_benchmark(config);
          }};
}

Command add_compare(CLI::App* bench_app) {
  struct Options {
    std::string base, candidate, max_regression = "5%";
    std::vector<std::string> gate;
  };
  auto o = std::make_shared<Options>();
  CLI::App* app = bench_app->add_subcommand("compare", "Compare two `bench serve` results; exit 1 on a regression");
  app->add_option("BASE", o->base, "the result to compare against")->required();
  app->add_option("NEW", o->candidate, "the new result")->required();
  app->add_option("--max-regression", o->max_regression, "largest change for the worse that passes")
      ->capture_default_str();
  app->add_option("--gate", o->gate,
                  "only these metrics can fail the comparison, comma-separated: a name (failed) or a group "
                  "(ttft_ms: all its percentiles); default all")
      ->delimiter(',');
  return {app, [o]() -> int {
            auto threshold = bench::parse_percent(o->max_regression);
            if (!threshold.ok()) return fail(threshold.error());
            auto base = bench::read_json_file(o->base);
            if (!base.ok()) return fail(base.error());
            auto candidate = bench::read_json_file(o->candidate);
            if (!candidate.ok()) return fail(candidate.error());
            auto comparison = bench::compare_results(*base, *candidate, *threshold, o->gate);
            if (!comparison.ok()) return fail(comparison.error());
            std::fputs(bench::format_comparison(*comparison, *threshold).c_str(), stdout);
            return comparison->has_regression() ? 1 : 0;
          }};
}

Command add_quality(CLI::App* bench_app) {
  struct Options {
    std::vector<std::string> models;
    std::vector<std::string> kv_dtypes;
    std::vector<std::string> kernels;
    bench::QualityOptions quality;
  };
  auto o = std::make_shared<Options>();
  CLI::App* app = bench_app->add_subcommand("quality", "Compare two models' next-token distributions on one text");
  app->add_option("--model", o->models, "give twice: the reference model A, then model B")->required()->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app->add_option("--dataset", o->quality.dataset, "a UTF-8 text file (default: a built-in passage)");
  app->add_option("--ctx", o->quality.context, "tokens per window")->capture_default_str();
  app->add_option("--kv-cache-dtype", o->kv_dtypes,
                  "KV dtype of both models (f32, the default, f16 or bf16), or give twice: A's, then B's")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app->add_option("--device", o->quality.device, "where both models run")->capture_default_str();
  app->add_option("--kernels", o->kernels,
                  "fast (the default) or exact (--exact-kernels) for both models, or give twice: A's, then B's")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  return {app, [o]() -> int {
            if (o->models.size() != 2) return fail("bench quality needs --model exactly twice");
            if (o->kv_dtypes.size() > 2) return fail("bench quality takes --kv-cache-dtype once or twice");
            if (!o->kv_dtypes.empty()) {
              o->quality.kv_cache_dtype_a = o->kv_dtypes.front();
              o->quality.kv_cache_dtype_b = o->kv_dtypes.back();
            }
            if (o->kernels.size() > 2) return fail("bench quality takes --kernels once or twice");
            for (const std::string& kernels : o->kernels)
              if (kernels != "fast" && kernels != "exact")
                return fail("--kernels: expected fast or exact, got '" + kernels + "'");
            if (!o->kernels.empty()) {
              o->quality.exact_kernels_a = o->kernels.front() == "exact";
              o->quality.exact_kernels_b = o->kernels.back() == "exact";
            }
            o->quality.model_a = o->models[0];
            o->quality.model_b = o->models[1];
            auto report = bench::run_quality(o->quality);
            if (!report.ok()) return fail(report.error());
            std::fputs(bench::format_quality_report(o->quality, *report).c_str(), stdout);
            return 0;
          }};
}

Command add_soak(CLI::App* bench_app) {
  struct Options {
    LoadFlags load;
    std::string interval = "60s", warmup, max_drift, output_dir = "soak", metrics_path = "/metrics";
    bool allow_failures = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* app = bench_app->add_subcommand("soak", "Run a steady load for a long time and report drift");
  add_load_flags(app, o->load);
  app->get_option("--duration")->required();
  app->add_option("--interval", o->interval, "window length")->capture_default_str();
  app->add_option("--warmup", o->warmup, "windows ending before this are not fitted (default: 10% of the duration, at least one interval)");
  app->add_option("--max-drift", o->max_drift, "thresholds in %/h, e.g. latency=20,rss=5 (also throughput or any CSV column)");
  app->add_option("--output-dir", o->output_dir, "where soak.csv, soak.json and soak.svg go")->capture_default_str();
  app->add_option("--metrics-path", o->metrics_path, "the server's Prometheus endpoint ('' : none)")->capture_default_str();
  app->add_flag("--allow-failures", o->allow_failures, "failed requests do not fail the soak");
  return {app, [o]() -> int {
            if (o->load.request_rate == "inf" && o->load.max_concurrency == 0) o->load.max_concurrency = 4;
            bench::SoakConfig config;
            config.workload = o->load.workload;
            if (Status s = resolve(o->load, config.endpoint, config.shape); !s.ok()) return fail(s.error());
            if (Status s = bench::validate(config.shape); !s.ok()) return fail(s.error());
            auto interval = bench::parse_duration_seconds(o->interval);
            if (!interval.ok()) return fail(interval.error());
            if (*interval <= 0 || *interval > config.shape.duration_s) return fail("--interval must be within --duration");
            config.interval_s = *interval;
            config.warmup_s = std::max(config.interval_s, 0.1 * config.shape.duration_s);
            if (!o->warmup.empty()) {
              auto warmup = bench::parse_duration_seconds(o->warmup);
              if (!warmup.ok()) return fail(warmup.error());
              config.warmup_s = *warmup;
            }
            if (!o->max_drift.empty()) {
              auto thresholds = bench::parse_drift_thresholds(o->max_drift);
              if (!thresholds.ok()) return fail(thresholds.error());
              config.max_drift_percent_per_hour = *thresholds;
            }
            config.allow_failures = o->allow_failures;
            config.metrics_path = o->metrics_path;
            config.output_dir = o->output_dir;
            config.described = describe(o->load);
            config.described.update({{"interval_s", config.interval_s}, {"warmup_s", config.warmup_s},
                                     {"max_drift", o->max_drift}, {"allow_failures", o->allow_failures}});
            return bench::run_soak(config);
          }};
}

}  // namespace

Command add_bench_command(CLI::App& root) {
  CLI::App* app = root.add_subcommand("bench", "Benchmark, compare, quality-check and soak-test servers and models; time a model");
  app->require_subcommand(1);
  auto commands = std::make_shared<std::vector<Command>>(
      std::vector<Command>{add_serve(app), add_compare(app), add_quality(app), add_soak(app),
                           add_bench_model_command(app)});
  return {app, [commands]() -> int {
            for (const auto& command : *commands)
              if (command.app->parsed()) return command.run();
            return fail("bench needs a subcommand: serve, compare, quality, soak or model");
          }};
}

}  // namespace keel::cli
