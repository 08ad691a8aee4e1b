// hash.h: SHA-256 and HMAC-SHA-256 (OpenSSL libcrypto), hex encoded.
#pragma once

#include <string>
#include <string_view>

namespace inboxd::core {

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
// Lower-case hex HMAC-SHA-256 of `data` under `key`.
std::string HmacSha256Hex(std::string_view key, std::string_view data);

}  // namespace inboxd::core
