#include "server/scan_cursors.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <random>

#include "server/command_table.h"

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

bool ParseElementScanCursor(std::string_view text, uint64_t* cursor) {
  const std::string buf(text);
  if (!buf.empty() && std::isspace(static_cast<unsigned char>(buf[0])) != 0) return false;
  char* end = nullptr;
  errno = 0;
  *cursor = std::strtoull(buf.c_str(), &end, 10);
  return *end == '\0' && errno != ERANGE;
}

std::string_view ParseElementScanOptions(const std::vector<std::string_view>& args, size_t first,
                                         std::string_view* pattern, int64_t* count) {
  for (size_t i = first; i < args.size(); i += 2) {
    if (i + 1 >= args.size()) return kSyntaxError;
    if (EqualsIgnoreCase(args[i], "count")) {
      if (!ParseInt64(args[i + 1], count)) return kNotIntegerError;
      if (*count < 1) return kSyntaxError;
    } else if (EqualsIgnoreCase(args[i], "match")) {
      *pattern = args[i + 1];
    } else {
      return kSyntaxError;
    }
  }
  return {};
}

}  // namespace shale::server
