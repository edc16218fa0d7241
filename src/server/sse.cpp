#include "server/sse.h"

namespace keel::server {

void append_sse_event(std::string& out, std::string_view payload) {
  out += "data: ";
  for (char c : payload) {
    if (c == '\n' || c == '\r') continue;  // JSON allows whitespace here; SSE does not
    out += c;
  }
  out += "\n\n";
}

void append_sse_done(std::string& out) { out += "data: [DONE]\n\n"; }

}  // namespace keel::server
