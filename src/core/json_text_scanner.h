// JsonTextScanner: reads JSON text a byte at a time and knows, after each
// byte, whether it stands inside a string and how deep the brackets ([ and
// {) nest outside strings. For finding the end of a value or a separator
// without parsing, and for bounding nesting before a parser that recurses.
#pragma once

namespace keel {

class JsonTextScanner {
 public:
  // Reads one byte. Returns true when it is structural: outside any string
  // and not the quote that opens or closes one.
  bool push(char c) {
    if (in_string_) {
      if (escaped_) escaped_ = false;
      else if (c == '\\') escaped_ = true;
      else if (c == '"') in_string_ = false;
      return false;
    }
    if (c == '"') {
      in_string_ = true;
      return false;
    }
    if (c == '[' || c == '{') ++depth_;
    else if ((c == ']' || c == '}') && depth_ > 0) --depth_;
    return true;
  }

  bool in_string() const { return in_string_; }
  int depth() const { return depth_; }  // after the last byte read

 private:
  int depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
};

}  // namespace keel
