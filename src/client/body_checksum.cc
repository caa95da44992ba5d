#include "client/body_checksum.h"

#include "common/encoding.h"

namespace trainload::client {

std::optional<ExpectedChecksum> FullObjectChecksum(const http::Headers& headers) {
  if (auto type = headers.Get("x-amz-checksum-type"); type && *type == "COMPOSITE") {
    return std::nullopt;
  }
  for (const auto& [name, value] : headers.entries()) {
    auto algorithm = ChecksumFromHeaderName(name);
    if (!algorithm || value.find('-') != std::string::npos) continue;
    auto raw = Base64Decode(value);
    if (!raw || raw->size() != ChecksumSize(*algorithm)) return std::nullopt;
    return ExpectedChecksum{*algorithm, std::move(*raw)};
  }
  return std::nullopt;
}

Status VerifyBodyChecksum(const http::Headers& headers, std::string_view body) {
  auto expected = FullObjectChecksum(headers);
  if (!expected) return Status::Ok();
  if (ComputeChecksum(expected->algorithm, body) == expected->raw) return Status::Ok();
  return DataLoss(std::string(ChecksumName(expected->algorithm)) +
                  " of the received bytes does not match the object's stored checksum "
                  "(corrupted in transit)");
}

}  // namespace trainload::client
