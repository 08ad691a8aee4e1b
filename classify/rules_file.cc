#include "classify/rules_file.h"

#include <toml++/toml.h>

#include <exception>
#include <string>

namespace inboxd::classify {

extern const char kDefaultRulesTomlData[];  // default_rules_data.cc (CMake)

namespace {

std::string At(std::string_view file, const toml::source_region& src,
               std::string_view key) {
  std::string out(file);
  out += ":" + std::to_string(src.begin.line) + ":" +
         std::to_string(src.begin.column) + ": ";
  if (!key.empty()) out += std::string(key) + ": ";
  return out;
}

}  // namespace

std::string_view DefaultRulesToml() { return kDefaultRulesTomlData; }

core::Result<std::vector<config::Rule>> ParseRulesToml(
    std::string_view toml_text, std::string_view source_name) {
  // toml++ from Debian is built with exceptions (DEPS-FACTS 1.3.3): every
  // throw stays in this function.
  try {
    toml::table root = toml::parse(toml_text, source_name);
    std::vector<config::Rule> rules;
    for (auto&& [key, node] : root) {
      if (key.str() != "rule") {
        return core::Fail(core::Error::InvalidArgument(
            At(source_name, node.source(), key.str()) + "unknown key"));
      }
    }
    const toml::node* arr_node = root.get("rule");
    if (arr_node == nullptr) return rules;
    const toml::array* arr = arr_node->as_array();
    if (arr == nullptr) {
      return core::Fail(core::Error::InvalidArgument(
          At(source_name, arr_node->source(), "rule") +
          "must be an array of tables ([[rule]])"));
    }
    for (const toml::node& item : *arr) {
      const toml::table* t = item.as_table();
      if (t == nullptr) {
        return core::Fail(core::Error::InvalidArgument(
            At(source_name, item.source(), "rule") + "must be a table"));
      }
      config::Rule r;
      r.pos.file = std::string(source_name);
      r.pos.line = static_cast<int>(t->source().begin.line);
      r.pos.column = static_cast<int>(t->source().begin.column);
      for (auto&& [k, v] : *t) {
        std::string_view name = k.str();
        std::string* target = nullptr;
        if (name == "id")
          target = &r.id;
        else if (name == "field")
          target = &r.field;
        else if (name == "pattern")
          target = &r.pattern;
        else if (name == "unless")
          target = &r.unless;
        else if (name == "kind")
          target = &r.kind;
        else if (name == "class")
          target = &r.cls;
        else if (name == "mailbox")
          target = &r.mailbox;
        else if (name == "description")
          target = &r.description;
        if (target != nullptr) {
          if (!v.is_string()) {
            return core::Fail(core::Error::InvalidArgument(
                At(source_name, v.source(), "rule." + std::string(name)) +
                "must be a string"));
          }
          *target = v.as_string()->get();
          continue;
        }
        if (name == "enabled" || name == "weak") {
          if (!v.is_boolean()) {
            return core::Fail(core::Error::InvalidArgument(
                At(source_name, v.source(), "rule." + std::string(name)) +
                "must be true or false"));
          }
          (name == "enabled" ? r.enabled : r.weak) = v.as_boolean()->get();
          continue;
        }
        return core::Fail(core::Error::InvalidArgument(
            At(source_name, v.source(), "rule." + std::string(name)) +
            "unknown key"));
      }
      if (r.id.empty()) {
        return core::Fail(core::Error::InvalidArgument(
            At(source_name, t->source(), "rule.id") + "missing"));
      }
      rules.push_back(std::move(r));
    }
    return rules;
  } catch (const toml::parse_error& e) {
    return core::Fail(core::Error::InvalidArgument(
        At(source_name, e.source(), "") + std::string(e.description())));
  } catch (const std::exception& e) {
    return core::Fail(
        core::Error::Internal(std::string(source_name) + ": " + e.what()));
  }
}

core::Result<std::vector<config::Rule>> DefaultRules() {
  return ParseRulesToml(DefaultRulesToml(), "classify/default_rules.toml");
}

}  // namespace inboxd::classify
