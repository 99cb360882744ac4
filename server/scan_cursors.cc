#include "server/scan_cursors.h"

#include <random>

namespace shale::server {

ScanCursors::ScanCursors(size_t capacity) : capacity_(capacity) {
  // A random start keeps cursors of a previous server run from looking valid after restart.
  std::random_device rd;
  next_ = (static_cast<uint64_t>(rd()) << 20) | 1;
}

uint64_t ScanCursors::Save(int db, std::string last_key) {
  uint64_t cursor = next_++;
  if (cursor == 0) cursor = next_++;
  while (positions_.size() >= capacity_ && !order_.empty()) {
    positions_.erase(order_.front());
    order_.pop_front();
  }
  positions_.emplace(cursor, Position{db, std::move(last_key)});
  order_.push_back(cursor);
  return cursor;
}

std::optional<ScanCursors::Position> ScanCursors::Find(uint64_t cursor) const {
  auto it = positions_.find(cursor);
  if (it == positions_.end()) return std::nullopt;
  return it->second;
}

}  // namespace shale::server
