#include "classify/rules_file.h"

#include "config/loader.h"

namespace inboxd::classify {

extern const char kDefaultRulesTomlData[];  // default_rules_data.cc (CMake)

std::string_view DefaultRulesToml() { return kDefaultRulesTomlData; }

core::Result<std::vector<config::Rule>> DefaultRules() {
  return config::ParseRules(DefaultRulesToml(), kDefaultRulesName);
}

}  // namespace inboxd::classify
