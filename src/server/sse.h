// Server-sent events framing for streamed completions: each event is
// "data: <one line of JSON>\n\n" and the stream ends with "data: [DONE]\n\n",
// which is what OpenAI's SDKs parse.
#pragma once

#include <string>
#include <string_view>

namespace keel::server {

// Appends one event. `payload` must not contain a newline (compact JSON
// never does); a newline would split the event, so it is escaped away.
void append_sse_event(std::string& out, std::string_view payload);
void append_sse_done(std::string& out);

}  // namespace keel::server
