// Number parsing shared by the protocol, the configuration, the commands and the keyspace
// (Redis's util.c): one integer parser with Redis's rules, so every layer accepts the same text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace shale::protocol {

// Redis's string2ll: an optional '-', then "0" alone or a digit 1-9 followed by digits; no
// '+', no blanks, no leading zeros, and the value must fit in int64_t. So the accepted texts
// are exactly the canonical decimal forms of the int64 values.
bool ParseInt64(std::string_view s, int64_t* value);

// Redis's MAX_LONG_DOUBLE_CHARS: the longest text of a long double it reads or prints.
inline constexpr size_t kMaxLongDoubleChars = 5 * 1024;

// Redis's string2ld: the whole text is a long double as strtold reads it, with no leading space,
// no overflow, no underflow to zero, and not NaN (INCRBYFLOAT, HINCRBYFLOAT).
bool ParseLongDouble(std::string_view text, long double* value);

// Redis's ld2string in its human mode (INCRBYFLOAT's and HINCRBYFLOAT's reply and stored value):
// fixed point with 17 digits after the point, trailing zeros (and a bare point) removed, "-0"
// written "0".
std::string FormatLongDouble(long double value);

}  // namespace shale::protocol
