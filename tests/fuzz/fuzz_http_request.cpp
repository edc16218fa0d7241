// libFuzzer target: HTTP/1.1 requests as a client's bytes arrive, through
// the transport's own parser, limits and rejections (parse_http_request),
// then what the handlers read first (the path, the headers, the bearer
// token). Any input must give a request, "more bytes needed", or a 400 /
// 413 / 431 with a message — never a crash, a hang, a body over the limit
// or a request that claims more bytes than it was given.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/api_keys.h"
#include "server/http_request_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using keel::server::HttpParseResult;
  constexpr size_t kMaxHeader = 4096, kMaxBody = 16384;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // Pipelined requests: parse until the input runs out or is refused.
  for (int requests = 0; requests < 64 && !bytes.empty(); ++requests) {
    const HttpParseResult parsed = keel::server::parse_http_request(bytes, kMaxHeader, kMaxBody);
    if (parsed.outcome == HttpParseResult::Outcome::kIncomplete) return 0;
    if (parsed.outcome == HttpParseResult::Outcome::kRejected) {
      if (parsed.status != 400 && parsed.status != 413 && parsed.status != 431) std::abort();
      if (parsed.message.empty()) std::abort();
      return 0;
    }
    if (parsed.consumed == 0 || parsed.consumed > bytes.size()) std::abort();
    if (parsed.request.body.size() > kMaxBody) std::abort();
    for (const auto& [name, value] : parsed.request.headers)
      for (const char c : name)
        if (c >= 'A' && c <= 'Z') std::abort();  // the handlers look headers up in lower case
    (void)parsed.request.path();
    (void)keel::server::bearer_token(parsed.request.header("authorization"));
    bytes.remove_prefix(parsed.consumed);
  }
  return 0;
}
