#include "server/api_keys.h"

#include <cctype>

namespace keel::server {

bool constant_time_equal(std::string_view a, std::string_view b) {
  // volatile keeps the compiler from turning the loop into an early exit.
  volatile unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < b.size(); ++i) {
    unsigned char left = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    diff = diff | (left ^ static_cast<unsigned char>(b[i]));
  }
  return diff == 0;
}

std::string_view bearer_token(std::string_view authorization) {
  constexpr std::string_view kPrefix = "bearer ";
  if (authorization.size() < kPrefix.size()) return authorization;
  for (size_t i = 0; i < kPrefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kPrefix[i]) return authorization;
  std::string_view token = authorization.substr(kPrefix.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

std::optional<std::string> basic_auth_password(std::string_view authorization) {
  constexpr std::string_view kPrefix = "basic ";
  if (authorization.size() < kPrefix.size()) return std::nullopt;
  for (size_t i = 0; i < kPrefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kPrefix[i]) return std::nullopt;
  std::string_view encoded = authorization.substr(kPrefix.size());
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  while (!encoded.empty() && encoded.back() == ' ') encoded.remove_suffix(1);
  while (!encoded.empty() && encoded.back() == '=') encoded.remove_suffix(1);
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (encoded.size() % 4 == 1) return std::nullopt;  // no base64 text ends with one lone character
  std::string decoded;
  uint32_t bits = 0;
  int held = 0;
  for (char c : encoded) {
    const int v = value(c);
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    held += 6;
    if (held >= 8) {
      held -= 8;
      decoded.push_back(static_cast<char>((bits >> held) & 0xff));
    }
  }
  const size_t colon = decoded.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return decoded.substr(colon + 1);
}

ApiKeys::ApiKeys(std::vector<KeyPolicy> keys) : keys_(std::move(keys)) {}

std::optional<size_t> ApiKeys::find(std::string_view presented) const {
  std::optional<size_t> match;
  for (size_t i = 0; i < keys_.size(); ++i)
    if (constant_time_equal(presented, keys_[i].key) && !match) match = i;
  return match;
}

std::optional<std::string> parse_api_key_file(std::string_view text, std::vector<KeyPolicy>& out) {
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.remove_suffix(1);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    KeyPolicy policy;
    size_t space = line.find_first_of(" \t");
    if (space == std::string_view::npos) {
      policy.name = "key" + std::to_string(out.size() + 1);
      policy.key = std::string(line);
    } else {
      policy.name = std::string(line.substr(0, space));
      std::string_view key = line.substr(space);
      while (!key.empty() && std::isspace(static_cast<unsigned char>(key.front()))) key.remove_prefix(1);
      if (key.find_first_of(" \t") != std::string_view::npos)
        return "line " + std::to_string(line_number) + ": expected 'KEY' or 'NAME KEY'";
      policy.key = std::string(key);
    }
    out.push_back(std::move(policy));
  }
  return std::nullopt;
}

}  // namespace keel::server
