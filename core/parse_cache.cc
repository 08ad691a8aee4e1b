#include "core/parse_cache.h"

namespace inboxd::core {

void ParseCache::Put(int64_t message_row, Message message) {
  if (capacity_ == 0) return;
  auto parsed = std::make_shared<const Message>(std::move(message));
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = by_row_.find(message_row); it != by_row_.end()) {
    order_.erase(it->second);
    by_row_.erase(it);
  }
  order_.emplace_front(message_row, std::move(parsed));
  by_row_[message_row] = order_.begin();
  while (order_.size() > capacity_) {
    by_row_.erase(order_.back().first);
    order_.pop_back();
  }
}

std::shared_ptr<const Message> ParseCache::Get(int64_t message_row) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_row_.find(message_row);
  if (it == by_row_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  return it->second->second;
}

size_t ParseCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return order_.size();
}

int64_t ParseCache::hits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}

int64_t ParseCache::misses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return misses_;
}

}  // namespace inboxd::core
