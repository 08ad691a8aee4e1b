// schema.h: the ordered list of schema migrations (PRAGMA user_version).
//
// Migration N takes a database at user_version N-1 to N. Steps are never
// edited once released; a change is a new step at the end. Store::Open runs
// each pending step in its own transaction. Not part of the public API (the
// tests use it to build old databases).
#pragma once

#include <vector>

namespace inboxd::store {

struct Migration {
  int version;              // user_version after this step
  const char* description;  // for the "store.migrated" event
  const char* sql;          // one or more statements
};

// Every migration, in order (versions 1, 2, ...).
const std::vector<Migration>& Migrations();

}  // namespace inboxd::store
