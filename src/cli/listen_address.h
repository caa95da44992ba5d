// Parses "HOST:PORT", "[IPV6]:PORT" and ":PORT" listen addresses. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "trainload/status.h"

namespace trainload::cli {

struct ListenAddress {
  std::string host;
  uint16_t port;
};

// Errors name the text and what is wrong with it.
Result<ListenAddress> ParseListenAddress(std::string_view text);

}  // namespace trainload::cli
