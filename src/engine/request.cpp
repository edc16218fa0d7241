#include "engine/request.h"

namespace keel {

std::string_view finish_reason(FinishCause cause) {
  switch (cause) {
    case FinishCause::kEndOfGeneration:
    case FinishCause::kStopTokenId:
    case FinishCause::kStopString:
    case FinishCause::kGrammarComplete: return "stop";
    case FinishCause::kMaxTokens:
    case FinishCause::kContextFull: return "length";
    case FinishCause::kCancelled:
    case FinishCause::kDeadline:
    case FinishCause::kShutdown:
    case FinishCause::kEngineError: return "abort";
  }
  return "abort";
}

std::string_view finish_cause_name(FinishCause cause) {
  switch (cause) {
    case FinishCause::kEndOfGeneration: return "end_of_generation";
    case FinishCause::kStopTokenId: return "stop_token_id";
    case FinishCause::kStopString: return "stop_string";
    case FinishCause::kMaxTokens: return "max_tokens";
    case FinishCause::kContextFull: return "context_full";
    case FinishCause::kCancelled: return "cancelled";
    case FinishCause::kDeadline: return "deadline";
    case FinishCause::kShutdown: return "shutdown";
    case FinishCause::kEngineError: return "engine_error";
    case FinishCause::kGrammarComplete: return "grammar_complete";
  }
  return "unknown";
}

}  // namespace keel
