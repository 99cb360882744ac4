// Number parsing shared by the protocol, the configuration, the commands and the keyspace
// (Redis's util.c): one integer parser with Redis's rules, so every layer accepts the same text.
#pragma once

#include <cstdint>
#include <string_view>

namespace shale::protocol {

// Redis's string2ll: an optional '-', then "0" alone or a digit 1-9 followed by digits; no
// '+', no blanks, no leading zeros, and the value must fit in int64_t. So the accepted texts
// are exactly the canonical decimal forms of the int64 values.
bool ParseInt64(std::string_view s, int64_t* value);

}  // namespace shale::protocol
