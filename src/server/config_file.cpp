// toml++ is confined to this file.
#include "server/config_file.h"

#include <fstream>
#include <sstream>

#include <toml++/toml.h>

namespace keel::server {
namespace {

// A TOML scalar as the text the flag parser would have received.
Result<std::string> scalar_text(const toml::node& node, const std::string& where) {
  if (auto v = node.as_string()) return v->get();
  if (auto v = node.as_integer()) return std::to_string(v->get());
  if (auto v = node.as_floating_point()) {
    std::ostringstream out;
    out << v->get();
    return out.str();
  }
  if (auto v = node.as_boolean()) return std::string(v->get() ? "true" : "false");
  return Error{where + ": expected a string, number or boolean"};
}

Result<KeyPolicy> parse_key_table(const std::string& name, const toml::table& table, const std::string& where) {
  KeyPolicy policy;
  policy.name = name;
  for (const auto& [raw_key, node] : table) {
    std::string key(raw_key.str());
    for (char& c : key)
      if (c == '-') c = '_';
    const std::string at = where + ".keys." + name + "." + key;
    if (key == "key") {
      auto text = node.value<std::string>();
      if (!text || text->empty()) return Error{at + ": must be a non-empty string"};
      policy.key = *text;
    } else if (key == "requests_per_second" || key == "tokens_per_minute" || key == "max_concurrent") {
      auto number = node.value<double>();
      if (!number || *number < 0) return Error{at + ": must be a non-negative number"};
      if (key == "requests_per_second") policy.requests_per_second = *number;
      if (key == "tokens_per_minute") policy.tokens_per_minute = *number;
      if (key == "max_concurrent") policy.max_concurrent = static_cast<int32_t>(*number);
    } else {
      return Error{at + ": unknown key (expected key, requests_per_second, tokens_per_minute, max_concurrent)"};
    }
  }
  if (policy.key.empty()) return Error{where + ".keys." + name + ": missing 'key'"};
  return policy;
}

}  // namespace

Result<ConfigFile> parse_config_text(std::string_view text, const std::string& source_name) {
  // Debian's toml++ is built with exceptions: a syntax error throws.
  toml::table parsed;
  try {
    parsed = toml::parse(text, source_name);
  } catch (const toml::parse_error& error) {
    return Error{source_name + ":" + std::to_string(error.source().begin.line) + ": " +
                 std::string(error.description())};
  }
  ConfigFile config;
  for (const auto& [raw_key, node] : parsed) {
    std::string name(raw_key.str());
    if (name == "keys") {
      const toml::table* keys = node.as_table();
      if (!keys) return Error{source_name + ": 'keys' must be a table of [keys.NAME] tables"};
      for (const auto& [key_name, key_node] : *keys) {
        const toml::table* table = key_node.as_table();
        if (!table) return Error{source_name + ": keys." + std::string(key_name.str()) + " must be a table"};
        KEEL_ASSIGN_OR_RETURN(KeyPolicy policy, parse_key_table(std::string(key_name.str()), *table, source_name));
        config.keys.push_back(std::move(policy));
      }
      continue;
    }
    for (char& c : name)
      if (c == '_') c = '-';
    std::vector<std::string> values;
    const std::string where = source_name + ": " + name;
    if (const toml::array* array = node.as_array()) {
      for (const auto& item : *array) {
        KEEL_ASSIGN_OR_RETURN(std::string value, scalar_text(item, where));
        values.push_back(std::move(value));
      }
    } else {
      KEEL_ASSIGN_OR_RETURN(std::string value, scalar_text(node, where));
      values.push_back(std::move(value));
    }
    config.options.emplace_back(std::move(name), std::move(values));
  }
  return config;
}

Result<ConfigFile> load_config_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"cannot read config file " + path.string()};
  std::stringstream text;
  text << in.rdbuf();
  return parse_config_text(text.str(), path.string());
}

}  // namespace keel::server
