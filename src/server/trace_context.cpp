#include "server/trace_context.h"

#include <algorithm>
#include <random>

namespace keel::server {
namespace {

// 0-15 for a lower-case hex digit, -1 otherwise (W3C allows no upper case).
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

template <size_t N>
bool read_hex(std::string_view text, std::array<uint8_t, N>& out) {
  if (text.size() != 2 * N) return false;
  for (size_t i = 0; i < N; ++i) {
    const int high = hex_value(text[2 * i]), low = hex_value(text[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    out[i] = static_cast<uint8_t>(high * 16 + low);
  }
  return true;
}

template <size_t N>
bool all_zero(const std::array<uint8_t, N>& id) {
  return std::all_of(id.begin(), id.end(), [](uint8_t b) { return b == 0; });
}

// Seeded with 256 bits of the OS's randomness: one 32-bit seed would let two
// threads (or two servers) of a fleet draw the same ids.
std::mt19937_64& generator() {
  static thread_local std::mt19937_64 random = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device(), device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  return random;
}

// The ratio decision on the trace id's last 8 bytes (random in any W3C id),
// as OpenTelemetry's TraceIdRatioBased sampler makes it.
bool sampled_by_ratio(const TraceId& id, double ratio) {
  if (ratio >= 1.0) return true;
  if (ratio <= 0.0) return false;
  uint64_t low = 0;
  for (size_t i = 8; i < 16; ++i) low = low << 8 | id[i];
  return static_cast<double>(low >> 11) < ratio * static_cast<double>(uint64_t{1} << 53);
}

}  // namespace

std::optional<ParsedTraceparent> parse_traceparent(std::string_view header) {
  constexpr size_t kLength = 55;  // 2 + 1 + 32 + 1 + 16 + 1 + 2
  if (header.size() < kLength) return std::nullopt;
  std::array<uint8_t, 1> version{}, flags{};
  if (!read_hex(header.substr(0, 2), version) || version[0] == 0xff) return std::nullopt;
  // Version 00 is exactly 55 characters; a later version may go on after a '-'.
  if (version[0] == 0 ? header.size() != kLength : header.size() > kLength && header[kLength] != '-')
    return std::nullopt;
  if (header[2] != '-' || header[35] != '-' || header[52] != '-') return std::nullopt;
  ParsedTraceparent parsed;
  if (!read_hex(header.substr(3, 32), parsed.trace_id) || !read_hex(header.substr(36, 16), parsed.parent_span_id) ||
      !read_hex(header.substr(53, 2), flags))
    return std::nullopt;
  if (all_zero(parsed.trace_id) || all_zero(parsed.parent_span_id)) return std::nullopt;
  parsed.flags = flags[0];
  return parsed;
}

TraceContext trace_context_for(std::string_view traceparent_header, double sample_ratio) {
  TraceContext context;
  if (const auto parent = parse_traceparent(traceparent_header)) {
    context.trace_id = parent->trace_id;
    context.parent_span_id = parent->parent_span_id;
    context.sampled = (parent->flags & 0x01) != 0;
    return context;
  }
  context.trace_id = new_trace_id();
  context.sampled = sampled_by_ratio(context.trace_id, sample_ratio);
  return context;
}

TraceId new_trace_id() {
  TraceId id{};
  while (all_zero(id)) {
    const uint64_t high = generator()(), low = generator()();
    for (size_t i = 0; i < 8; ++i) {
      id[i] = static_cast<uint8_t>(high >> (56 - 8 * i));
      id[8 + i] = static_cast<uint8_t>(low >> (56 - 8 * i));
    }
  }
  return id;
}

SpanId new_span_id() {
  SpanId id{};
  while (all_zero(id)) {
    const uint64_t bits = generator()();
    for (size_t i = 0; i < 8; ++i) id[i] = static_cast<uint8_t>(bits >> (56 - 8 * i));
  }
  return id;
}

std::string to_hex(const uint8_t* bytes, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * size, '0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0x0f];
  }
  return out;
}

std::string format_traceparent(const TraceId& trace_id, const SpanId& span_id, bool sampled) {
  return "00-" + to_hex(trace_id) + "-" + to_hex(span_id) + (sampled ? "-01" : "-00");
}

}  // namespace keel::server
