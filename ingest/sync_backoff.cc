#include "ingest/sync_backoff.h"

#include <algorithm>

namespace inboxd::ingest {

std::chrono::seconds Backoff::Next() {
  std::chrono::seconds d = initial_;
  for (int i = 0; i < failures_ && d < max_; ++i) d *= 2;
  ++failures_;
  return std::min(d, max_);
}

}  // namespace inboxd::ingest
