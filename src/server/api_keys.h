// API keys: who may call the server, and the name under which a caller's
// requests are logged, limited and counted. The key itself never leaves
// this file: logs and metrics only ever see the key's name.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keel::server {

// One key and its limits (0 = unlimited), from --api-key, --api-key-file or
// a [keys.NAME] table of the config file.
struct KeyPolicy {
  std::string name;
  std::string key;
  double requests_per_second = 0.0;
  double tokens_per_minute = 0.0;   // prompt + max_tokens, charged at admission
  int32_t max_concurrent = 0;
};

// True when a and b are equal. Runs in time that depends only on b's length
// (b is the secret), so a caller cannot find the key byte by byte.
bool constant_time_equal(std::string_view a, std::string_view b);

// The key from "Authorization: Bearer KEY" (or an x-api-key header value).
std::string_view bearer_token(std::string_view authorization);

// The password of "Authorization: Basic base64(USER:PASSWORD)", or nothing
// when the header is not Basic or its base64 is malformed. The chat page
// takes the API key as the password of the browser's own login prompt, and
// the browser then sends it with the page's API calls as well.
std::optional<std::string> basic_auth_password(std::string_view authorization);

class ApiKeys {
 public:
  ApiKeys() = default;
  explicit ApiKeys(std::vector<KeyPolicy> keys);

  // Without keys the server is open and every request is "anonymous".
  bool required() const { return !keys_.empty(); }
  // The index of the key equal to `presented`; every key is compared so the
  // time taken does not say which one matched.
  std::optional<size_t> find(std::string_view presented) const;
  const KeyPolicy& policy(size_t index) const { return keys_[index]; }
  size_t size() const { return keys_.size(); }

 private:
  std::vector<KeyPolicy> keys_;
};

// Reads one key per line ("KEY" or "NAME KEY"; # comments, blank lines
// skipped) from `text`. Returns the policies or an error message.
std::optional<std::string> parse_api_key_file(std::string_view text, std::vector<KeyPolicy>& out);

}  // namespace keel::server
