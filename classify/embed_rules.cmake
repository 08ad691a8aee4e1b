# embed_rules.cmake: writes OUT, a C++ file holding IN as a raw string, so the
# default rules are built into the binary (cmake -DIN=... -DOUT=... -P).
file(READ "${IN}" content)
string(FIND "${content}" ")inboxd_rules\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw-string delimiter )inboxd_rules\"")
endif()
file(WRITE "${OUT}.tmp"
  "// Generated from classify/default_rules.toml by embed_rules.cmake. Do not edit.\n"
  "namespace inboxd::classify {\n"
  "extern const char kDefaultRulesTomlData[];\n"
  "const char kDefaultRulesTomlData[] = R\"inboxd_rules(${content})inboxd_rules\";\n"
  "}  // namespace inboxd::classify\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
