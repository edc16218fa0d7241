#include "grammar/json_schema.h"

#include "grammar/gbnf_literal.h"

#include <map>
#include <set>

namespace keel::grammar {
namespace {

// The JSON grammar's building blocks, shared by every schema.
constexpr const char* kJsonBasics = R"(ws ::= " "?
json-char ::= [^"\\\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u" [0-9a-fA-F]{4} )
json-string ::= "\"" json-char* "\""
json-integer ::= "-"? ( "0" | [1-9] [0-9]{0,17} )
json-number ::= json-integer ( "." [0-9]{1,20} )? ( [eE] [-+]? [0-9]{1,2} )?
json-boolean ::= "true" | "false"
json-null ::= "null"
json-value ::= json-object | json-array | json-string | json-number | json-boolean | json-null
json-member ::= json-string ws ":" ws json-value ws
json-object ::= "{" ws ( json-member ( "," ws json-member )* )? "}"
json-array ::= "[" ws ( json-value ws ( "," ws json-value ws )* )? "]"
)";

const std::set<std::string>& annotations() {
  static const std::set<std::string> keys = {"title", "description", "default", "examples", "$schema", "$id", "$comment"};
  return keys;
}

class SchemaCompiler {
 public:
  SchemaCompiler(const nlohmann::ordered_json& root, std::string prefix) : root_(root), prefix_(std::move(prefix)) {}

  Result<SchemaRules> compile() {
    SchemaRules out;
    KEEL_ASSIGN_OR_RETURN(out.root, visit(root_, "#", 0));
    for (const auto& [name, body] : rules_) out.rules += name + " ::= " + body + "\n";
    return out;
  }

 private:
  static constexpr int kMaxDepth = 64;

  Error refuse(const std::string& path, const std::string& what) const {
    return Error{"the JSON schema at " + path + " " + what};
  }

  std::string new_rule(const std::string& body) {
    const std::string name = prefix_ + "schema-" + std::to_string(rules_.size());
    rules_[name] = body;
    return name;
  }

  // A GBNF expression (usually a rule name) for `schema`.
  Result<std::string> visit(const nlohmann::ordered_json& schema, const std::string& path, int depth) {
    if (depth > kMaxDepth) return refuse(path, "nests deeper than " + std::to_string(kMaxDepth) + " levels");
    if (schema.is_boolean()) {
      if (schema.get<bool>()) return std::string("json-value");
      return refuse(path, "is false: it allows no value");
    }
    if (!schema.is_object()) return refuse(path, "is not an object");
    static const std::set<std::string> known = {"type", "properties", "required", "additionalProperties", "items",
                                                "enum", "const", "anyOf", "$ref", "$defs", "definitions",
                                                "minLength", "maxLength", "minItems", "maxItems"};
    for (const auto& [key, value] : schema.items())
      if (!known.contains(key) && !annotations().contains(key))
        return refuse(path, "uses '" + key + "', which keel's structured output does not support");
    if (schema.contains("$defs") && &schema != &root_) return refuse(path, "has '$defs' below the root");
    if (schema.contains("definitions") && &schema != &root_) return refuse(path, "has 'definitions' below the root");

    if (const auto ref = schema.find("$ref"); ref != schema.end()) {
      if (schema.size() > 1 + count_annotations(schema)) return refuse(path, "has keywords beside '$ref'");
      return reference(*ref, path);
    }
    if (const auto any = schema.find("anyOf"); any != schema.end()) {
      if (!any->is_array() || any->empty()) return refuse(path, "has an 'anyOf' that is not a non-empty array");
      for (const auto& [key, value] : schema.items())
        if (key != "anyOf" && key != "$defs" && key != "definitions" && !annotations().contains(key))
          return refuse(path, "has '" + key + "' beside 'anyOf'; put it inside each branch");
      std::string body;
      for (size_t i = 0; i < any->size(); ++i) {
        KEEL_ASSIGN_OR_RETURN(const std::string branch, visit((*any)[i], path + "/anyOf/" + std::to_string(i), depth + 1));
        body += (i ? " | " : "") + branch;
      }
      return new_rule(body);
    }
    if (const auto values = schema.find("enum"); values != schema.end()) {
      if (!values->is_array() || values->empty()) return refuse(path, "has an 'enum' that is not a non-empty array");
      std::string body;
      for (size_t i = 0; i < values->size(); ++i) body += (i ? " | " : "") + gbnf_literal((*values)[i].dump());
      return new_rule(body);
    }
    if (const auto value = schema.find("const"); value != schema.end()) return new_rule(gbnf_literal(value->dump()));

    std::vector<std::string> types;
    if (const auto type = schema.find("type"); type != schema.end()) {
      if (type->is_string()) {
        types.push_back(type->get<std::string>());
      } else if (type->is_array() && !type->empty()) {
        for (const auto& t : *type) {
          if (!t.is_string()) return refuse(path, "has a 'type' list with a non-string entry");
          types.push_back(t.get<std::string>());
        }
      } else {
        return refuse(path, "has a 'type' that is neither a string nor a list of them");
      }
    } else if (schema.contains("properties") || schema.contains("additionalProperties")) {
      types.push_back("object");
    } else if (schema.contains("items")) {
      types.push_back("array");
    } else {
      return std::string("json-value");
    }
    std::string body;
    for (const std::string& type : types) {
      KEEL_ASSIGN_OR_RETURN(const std::string branch, typed(schema, type, path, depth));
      body += (body.empty() ? "" : " | ") + branch;
    }
    return types.size() == 1 ? body : new_rule(body);
  }

  static size_t count_annotations(const nlohmann::ordered_json& schema) {
    size_t n = 0;
    for (const auto& [key, value] : schema.items()) n += annotations().contains(key) ? 1 : 0;
    return n;
  }

  Result<std::string> typed(const nlohmann::ordered_json& schema, const std::string& type, const std::string& path, int depth) {
    auto only_for = [&](std::initializer_list<const char*> keys, const char* what) -> Status {
      for (const char* key : keys)
        if (schema.contains(key) && type != what)
          return refuse(path, "has '" + std::string(key) + "' but type '" + type + "'");
      return ok_status();
    };
    KEEL_TRY(only_for({"minLength", "maxLength"}, "string"));
    KEEL_TRY(only_for({"minItems", "maxItems", "items"}, "array"));
    KEEL_TRY(only_for({"properties", "required", "additionalProperties"}, "object"));
    if (type == "string") return string_rule(schema, path);
    if (type == "number") return std::string("json-number");
    if (type == "integer") return std::string("json-integer");
    if (type == "boolean") return std::string("json-boolean");
    if (type == "null") return std::string("json-null");
    if (type == "object") return object_rule(schema, path, depth);
    if (type == "array") return array_rule(schema, path, depth);
    return refuse(path, "has the unknown type '" + type + "'");
  }

  Result<std::pair<int64_t, int64_t>> bounds(const nlohmann::ordered_json& schema, const char* min_key, const char* max_key,
                                             int64_t cap, const std::string& path) {
    int64_t min = 0, max = -1;  // -1: unbounded
    for (const auto& [key, target] : {std::pair{min_key, &min}, std::pair{max_key, &max}}) {
      const auto it = schema.find(key);
      if (it == schema.end()) continue;
      if (!it->is_number_integer() || it->get<int64_t>() < 0)
        return refuse(path, "has a '" + std::string(key) + "' that is not a non-negative integer");
      if (it->get<int64_t>() > cap)
        return refuse(path, "has '" + std::string(key) + "' above " + std::to_string(cap) + ", which is not supported");
      *target = it->get<int64_t>();
    }
    if (max >= 0 && max < min) return refuse(path, "has '" + std::string(max_key) + "' below '" + min_key + "'");
    return std::pair{min, max};
  }

  static std::string repetition(int64_t min, int64_t max) {
    return "{" + std::to_string(min) + "," + (max >= 0 ? std::to_string(max) : std::string()) + "}";
  }

  Result<std::string> string_rule(const nlohmann::ordered_json& schema, const std::string& path) {
    if (!schema.contains("minLength") && !schema.contains("maxLength")) return std::string("json-string");
    KEEL_ASSIGN_OR_RETURN(const auto range, bounds(schema, "minLength", "maxLength", kMaxStringBound, path));
    return new_rule("\"\\\"\" json-char" + repetition(range.first, range.second) + " \"\\\"\"");
  }

  Result<std::string> array_rule(const nlohmann::ordered_json& schema, const std::string& path, int depth) {
    std::string item = "json-value";
    if (const auto items = schema.find("items"); items != schema.end()) {
      KEEL_ASSIGN_OR_RETURN(item, visit(*items, path + "/items", depth + 1));
    }
    KEEL_ASSIGN_OR_RETURN(const auto range, bounds(schema, "minItems", "maxItems", kMaxItemsBound, path));
    const auto [min, max] = range;
    if (max == 0) return new_rule("\"[\" ws \"]\"");
    const std::string more = "( \",\" ws " + item + " ws )" +
                             repetition(min > 0 ? min - 1 : 0, max >= 0 ? max - 1 : -1);
    const std::string items = item + " ws " + more;
    return new_rule("\"[\" ws " + (min > 0 ? items : "( " + items + " )?") + " \"]\"");
  }

  Result<std::string> object_rule(const nlohmann::ordered_json& schema, const std::string& path, int depth) {
    const auto properties = schema.find("properties");
    const auto additional = schema.find("additionalProperties");
    if (properties != schema.end() && !properties->is_object()) return refuse(path, "has 'properties' that is not an object");
    std::set<std::string> required;
    if (const auto it = schema.find("required"); it != schema.end()) {
      if (!it->is_array()) return refuse(path, "has 'required' that is not an array");
      for (const auto& name : *it) {
        if (!name.is_string()) return refuse(path, "has a 'required' entry that is not a string");
        if (properties == schema.end() || !properties->contains(name.get<std::string>()))
          return refuse(path, "requires '" + name.get<std::string>() + "', which 'properties' does not define");
        required.insert(name.get<std::string>());
      }
    }
    if (properties == schema.end() || properties->empty()) {
      // A map: any keys, values of additionalProperties' schema (any value when absent or true).
      std::string value = "json-value";
      if (additional != schema.end() && additional->is_boolean() && !additional->get<bool>())
        return new_rule("\"{\" ws \"}\"");
      if (additional != schema.end()) {
        KEEL_ASSIGN_OR_RETURN(value, visit(*additional, path + "/additionalProperties", depth + 1));
      }
      const std::string member = "json-string ws \":\" ws " + value + " ws";
      return new_rule("\"{\" ws ( " + member + " ( \",\" ws " + member + " )* )? \"}\"");
    }
    if (additional != schema.end() && !additional->is_boolean() && !additional->is_object())
      return refuse(path, "has 'additionalProperties' that is neither a boolean nor a schema");
    // Members in the listed order. first_k: members k.. when none came
    // before (no comma); then_k: members k.. after one (each with its comma).
    std::vector<std::string> members;
    std::vector<bool> is_required;
    for (const auto& [name, property] : properties->items()) {
      KEEL_ASSIGN_OR_RETURN(const std::string value, visit(property, path + "/properties/" + name, depth + 1));
      members.push_back(gbnf_literal(nlohmann::ordered_json(name).dump()) + " ws \":\" ws " + value + " ws");
      is_required.push_back(required.contains(name));
    }
    const size_t n = members.size();
    std::vector<std::string> then(n + 1), first(n + 1);
    then[n] = "\"\"";
    first[n] = "\"\"";
    for (size_t k = n; k-- > 0;) {
      const std::string with_comma = "\",\" ws " + members[k];
      then[k] = new_rule((is_required[k] ? with_comma : "( " + with_comma + " )?") + " " + then[k + 1]);
      first[k] = new_rule(members[k] + " " + then[k + 1] + (is_required[k] ? "" : " | " + first[k + 1]));
    }
    return new_rule("\"{\" ws " + first[0] + " \"}\"");
  }

  Result<std::string> reference(const nlohmann::ordered_json& ref, const std::string& path) {
    if (!ref.is_string()) return refuse(path, "has a '$ref' that is not a string");
    const std::string target = ref.get<std::string>();
    std::string section, name;
    for (const char* prefix : {"#/$defs/", "#/definitions/"})
      if (target.starts_with(prefix)) {
        section = std::string(prefix).substr(2, std::string(prefix).size() - 3);
        name = target.substr(std::string(prefix).size());
      }
    if (section.empty() || name.empty() || name.find('/') != std::string::npos)
      return refuse(path, "refers to '" + target + "'; only '#/$defs/NAME' and '#/definitions/NAME' are supported");
    const auto defs = root_.find(section);
    if (defs == root_.end() || !defs->is_object() || !defs->contains(name))
      return refuse(path, "refers to '" + target + "', which the schema does not define");
    if (const auto done = refs_.find(target); done != refs_.end()) return done->second;
    // Named before it is visited, so that a recursive schema refers to itself.
    const std::string rule = prefix_ + "ref-" + std::to_string(refs_.size());
    refs_[target] = rule;
    rules_[rule] = "\"\"";  // placeholder until the body is known
    KEEL_ASSIGN_OR_RETURN(const std::string body, visit((*defs)[name], target, 1));
    rules_[rule] = body;
    return rule;
  }

  const nlohmann::ordered_json& root_;
  const std::string prefix_;
  std::map<std::string, std::string> rules_;
  std::map<std::string, std::string> refs_;
};

}  // namespace

Result<SchemaRules> json_schema_rules(const nlohmann::ordered_json& schema, const std::string& prefix) {
  return SchemaCompiler(schema, prefix).compile();
}

Result<std::string> json_schema_to_gbnf(const nlohmann::ordered_json& schema) {
  KEEL_ASSIGN_OR_RETURN(const SchemaRules rules, json_schema_rules(schema, ""));
  return "root ::= " + rules.root + "\n" + kJsonBasics + rules.rules;
}

std::string json_object_gbnf() { return std::string("root ::= json-object\n") + kJsonBasics; }

std::string json_basics_gbnf() { return kJsonBasics; }

}  // namespace keel::grammar
