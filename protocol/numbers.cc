#include "protocol/numbers.h"

#include <limits>

namespace shale::protocol {

bool ParseInt64(std::string_view s, int64_t* value) {
  // 20 characters hold "-9223372036854775808"; anything longer cannot be valid.
  if (s.empty() || s.size() > 20) return false;
  if (s == "0") {
    *value = 0;
    return true;
  }
  size_t i = 0;
  bool negative = false;
  if (s[0] == '-') {
    negative = true;
    i = 1;
    if (i == s.size()) return false;
  }
  if (s[i] < '1' || s[i] > '9') return false;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    uint64_t digit = static_cast<uint64_t>(s[i] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    v = v * 10 + digit;
  }
  constexpr uint64_t kMaxMagnitude = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (negative) {
    if (v > kMaxMagnitude + 1) return false;
    // Two's complement negation done in unsigned arithmetic, so INT64_MIN needs no overflow.
    *value = static_cast<int64_t>(~v + 1);
  } else {
    if (v > kMaxMagnitude) return false;
    *value = static_cast<int64_t>(v);
  }
  return true;
}

}  // namespace shale::protocol
