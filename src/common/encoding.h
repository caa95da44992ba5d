// Byte encodings used on the wire: hex, base64 (RFC 4648, padded), and URL percent-encoding.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace trainload {

// Lowercase hex.
std::string HexEncode(std::string_view bytes);
// Accepts upper or lower case; nullopt on odd length or a non-hex character.
std::optional<std::string> HexDecode(std::string_view hex);

std::string Base64Encode(std::string_view bytes);
// Strict: padded, standard alphabet, no whitespace; nullopt otherwise.
std::optional<std::string> Base64Decode(std::string_view text);

// Percent-decodes %XX sequences (either case). `plus_as_space` turns '+' into ' ' (form
// encoding, used in query strings by some clients). nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_as_space = false);

// AWS's UriEncode: keeps A-Z a-z 0-9 - . _ ~ (and '/' unless `encode_slash`), writes every
// other byte as %XX with uppercase hex.
std::string UriEncode(std::string_view text, bool encode_slash = true);

}  // namespace trainload
