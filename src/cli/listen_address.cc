#include "cli/listen_address.h"

#include <charconv>

namespace trainload::cli {

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Error(InvalidArgument("invalid listen address '" + std::string(text) + "': " +
                                 std::string(why) + " (expected HOST:PORT, e.g. 127.0.0.1:9000)"));
  };
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("no port");
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (host.starts_with('[')) {
    if (!host.ends_with(']')) return bad("unclosed '['");
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return bad("IPv6 addresses must be written in brackets");
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return bad("port must be a number from 0 to 65535");
  }
  return ListenAddress{host.empty() ? "0.0.0.0" : std::string(host), static_cast<uint16_t>(port)};
}

}  // namespace trainload::cli
