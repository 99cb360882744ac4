// SCAN cursors: Redis clients treat the cursor as an unsigned integer, but Shale iterates its
// LSM trees in key order, so a cursor maps to (database, last key returned) in a bounded
// server-wide table. 0 starts an iteration and is returned when it ends. Cursors are handed
// out in increasing order from a random start; the oldest are forgotten when the table is full,
// and an unknown cursor is a clear error rather than a silent restart.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace shale::server {

class ScanCursors {
 public:
  explicit ScanCursors(size_t capacity = 100000);

  struct Position {
    int db;
    std::string last_key;
  };

  // Registers a position and returns its cursor (never 0).
  uint64_t Save(int db, std::string last_key);
  // The position of a cursor from Save, if still known.
  std::optional<Position> Find(uint64_t cursor) const;
  size_t size() const { return positions_.size(); }

 private:
  size_t capacity_;
  uint64_t next_;
  std::unordered_map<uint64_t, Position> positions_;
  std::deque<uint64_t> order_;  // oldest first, for eviction
};

// HSCAN's and SSCAN's arguments, read in Redis's order: the cursor first (Redis's
// parseScanCursorOrReply: strtoul's reading of the whole text, so "-1" and "+1" are cursors too,
// no leading blank, no overflow), then, once the key is found, MATCH and COUNT.
bool ParseElementScanCursor(std::string_view text, uint64_t* cursor);
// MATCH pattern / COUNT count pairs from args[first] on into *pattern and *count (left as they
// are when not given): the error reply's text (syntax, not an integer, COUNT < 1), or empty.
std::string_view ParseElementScanOptions(const std::vector<std::string_view>& args, size_t first,
                                         std::string_view* pattern, int64_t* count);

}  // namespace shale::server
