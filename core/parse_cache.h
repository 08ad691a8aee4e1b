// parse_cache.h: parsed messages handed from one stage to the next (issue 13
// item 2: one parse per message).
//
// classify's Processor parses a stored message to decide it; the planner
// (acknowledgement, absence notice, C5 alert) and the watcher (deadline
// mail quoting the original) need the same parse a moment later in the same
// cycle. The Processor puts what it parsed here under the message's store
// row; the others look here first and parse only on a miss (after a
// restart, or for a message decided long ago). Bounded: the oldest entries
// are dropped beyond `capacity`. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "core/message.h"

namespace inboxd::core {

class ParseCache {
 public:
  explicit ParseCache(size_t capacity = 256) : capacity_(capacity) {}

  // Keeps `message` as the parse of store row `message_row` (replacing an
  // older one).
  void Put(int64_t message_row, Message message);
  // The parse of `message_row`, or nullptr when it is not (or no longer)
  // here.
  std::shared_ptr<const Message> Get(int64_t message_row) const;
  size_t size() const;
  // Lookups that found an entry, and that did not (for tests and benches).
  int64_t hits() const;
  int64_t misses() const;

 private:
  using Entry = std::pair<int64_t, std::shared_ptr<const Message>>;
  const size_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> order_;  // newest first
  std::unordered_map<int64_t, std::list<Entry>::iterator> by_row_;
  mutable int64_t hits_ = 0;
  mutable int64_t misses_ = 0;
};

}  // namespace inboxd::core
