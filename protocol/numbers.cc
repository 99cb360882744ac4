#include "protocol/numbers.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
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

bool ParseLongDouble(std::string_view text, long double* value) {
  if (text.empty() || text.size() >= kMaxLongDoubleChars) return false;
  const std::string buf(text);  // NUL-terminated for strtold; a NUL inside ends the number early
  char* end = nullptr;
  errno = 0;
  const long double parsed = std::strtold(buf.c_str(), &end);
  if (std::isspace(static_cast<unsigned char>(buf[0])) != 0 || *end != '\0' ||
      static_cast<size_t>(end - buf.c_str()) != buf.size() ||
      (errno == ERANGE &&
       (parsed == HUGE_VALL || parsed == -HUGE_VALL || std::fpclassify(parsed) == FP_ZERO)) ||
      errno == EINVAL || std::isnan(parsed)) {
    return false;
  }
  *value = parsed;
  return true;
}

std::string FormatLongDouble(long double value) {
  char buf[kMaxLongDoubleChars];
  int n = std::snprintf(buf, sizeof(buf), "%.17Lf", value);
  if (n < 0 || static_cast<size_t>(n) + 1 > sizeof(buf)) return {};
  auto len = static_cast<size_t>(n);
  if (std::string_view(buf, len).find('.') != std::string_view::npos) {
    while (len > 0 && buf[len - 1] == '0') --len;
    if (len > 0 && buf[len - 1] == '.') --len;
  }
  if (len == 2 && buf[0] == '-' && buf[1] == '0') return "0";
  return std::string(buf, len);
}

}  // namespace shale::protocol
