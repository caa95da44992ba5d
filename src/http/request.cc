#include "http/exchange.h"

namespace trainload::http {

std::string_view Request::raw_path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::string_view Request::raw_query() const {
  std::string_view t = target;
  size_t q = t.find('?');
  return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

}  // namespace trainload::http
