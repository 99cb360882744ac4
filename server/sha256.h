// SHA-256 (FIPS 180-4), for ACL passwords: Redis stores and shows a user's passwords as the
// lower-case hex SHA-256 of the password, and `#<hash>` rules give that form directly.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace shale::server {

std::array<uint8_t, 32> Sha256(std::string_view data);
// The 64 lower-case hex digits of Sha256(data).
std::string Sha256Hex(std::string_view data);

}  // namespace shale::server
