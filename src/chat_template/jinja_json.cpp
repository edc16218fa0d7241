// tojson as transformers defines it: Python's json.dumps with
// ensure_ascii=False by default, insertion-ordered keys, separators ", " and
// ": " on one line, or "," plus newline-and-indent when indent is given.
#include <cstdio>
#include <string>

#include "chat_template/jinja_value.h"

namespace keel::jinja {
namespace {

// Decodes one UTF-8 sequence starting at text[i]; advances i. Invalid bytes
// decode as themselves (U+0080..U+00FF) so output never aborts.
uint32_t decode_utf8(const std::string& text, size_t& i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = byte(i);
  int length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
  if (length == 0 || i + static_cast<size_t>(length) > text.size()) {
    ++i;
    return lead;
  }
  uint32_t code = length == 1 ? lead : lead & (0x7F >> length);
  for (int k = 1; k < length; ++k) code = (code << 6) | (byte(i + static_cast<size_t>(k)) & 0x3F);
  i += static_cast<size_t>(length);
  return code;
}

void append_json_string(const std::string& text, bool ensure_ascii, std::string& out) {
  out += '"';
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      size_t start = i;
      uint32_t code = decode_utf8(text, i);
      if (!ensure_ascii) {
        out.append(text, start, i - start);
        continue;
      }
      char escaped[16];
      if (code >= 0x10000) {  // JSON spells astral code points as a surrogate pair
        code -= 0x10000;
        std::snprintf(escaped, sizeof escaped, "\\u%04x\\u%04x", 0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF));
      } else {
        std::snprintf(escaped, sizeof escaped, "\\u%04x", code);
      }
      out += escaped;
      continue;
    }
    ++i;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

class JsonWriter {
 public:
  JsonWriter(const JsonOptions& options, std::string& out) : options_(options), out_(out) {}

  Status write(const Value& value, int depth) {
    if (depth > kMaxDepth) return Error{"tojson: nesting deeper than " + std::to_string(kMaxDepth)};
    // Indentation grows with depth, so the text can far outgrow the value.
    if (out_.size() > kMaxValueFootprint) {
      return Error{"tojson: result larger than " + std::to_string(kMaxValueFootprint) + " bytes"};
    }
    switch (value.kind()) {
      case Value::Kind::kNone: out_ += "null"; return ok_status();
      case Value::Kind::kBool: out_ += value.as_bool() ? "true" : "false"; return ok_status();
      case Value::Kind::kInt: out_ += std::to_string(value.as_int()); return ok_status();
      case Value::Kind::kFloat: write_float(value.as_double()); return ok_status();
      case Value::Kind::kString: append_json_string(value.as_string(), options_.ensure_ascii, out_); return ok_status();
      case Value::Kind::kList: return write_list(value.as_list(), depth);
      case Value::Kind::kDict: return write_dict(value.as_dict(), depth);
      default: return Error{"tojson: Object of type " + value.type_name() + " is not JSON serializable"};
    }
  }

 private:
  static constexpr int kMaxDepth = 512;

  void write_float(double d) {
    std::string text = format_python_float(d);
    if (text == "nan") text = "NaN";
    if (text == "inf") text = "Infinity";
    if (text == "-inf") text = "-Infinity";
    out_ += text;
  }

  // Before the first item of a container and between items.
  void item_separator(bool first, int depth) {
    if (!first) out_ += options_.indent >= 0 ? "," : ", ";
    if (options_.indent >= 0) {
      out_ += '\n';
      out_.append(static_cast<size_t>(options_.indent * depth), ' ');
    }
  }

  void closing(int depth) {
    if (options_.indent < 0) return;
    out_ += '\n';
    out_.append(static_cast<size_t>(options_.indent * depth), ' ');
  }

  Status write_list(const ValueList& list, int depth) {
    if (list.items.empty()) {
      out_ += "[]";
      return ok_status();
    }
    out_ += '[';
    for (size_t i = 0; i < list.items.size(); ++i) {
      item_separator(i == 0, depth + 1);
      KEEL_TRY(write(list.items[i], depth + 1));
    }
    closing(depth);
    out_ += ']';
    return ok_status();
  }

  Status write_dict(const ValueDict& dict, int depth) {
    if (dict.entries.empty()) {
      out_ += "{}";
      return ok_status();
    }
    out_ += '{';
    bool first = true;
    for (const auto& [key, element] : dict.entries) {
      item_separator(first, depth + 1);
      first = false;
      append_json_string(key, options_.ensure_ascii, out_);
      out_ += ": ";
      KEEL_TRY(write(element, depth + 1));
    }
    closing(depth);
    out_ += '}';
    return ok_status();
  }

  const JsonOptions& options_;
  std::string& out_;
};

}  // namespace

Result<std::string> to_json(const Value& value, const JsonOptions& options) {
  std::string out;
  JsonWriter writer(options, out);
  KEEL_TRY(writer.write(value, 0));
  return out;
}

}  // namespace keel::jinja
