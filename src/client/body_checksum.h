// Verifying downloaded bytes against the checksum the server stored (x-amz-checksum-* on a GET
// with x-amz-checksum-mode: ENABLED). Only full-object checksums can be checked against the
// bytes; composite ones ("...-N", a checksum of part checksums) are skipped.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/checksum.h"
#include "http/headers.h"
#include "trainload/status.h"

namespace trainload::client {

struct ExpectedChecksum {
  ChecksumAlgorithm algorithm;
  std::string raw;  // big-endian digest bytes
};

// The full-object checksum `headers` promise, or nullopt (none, composite, or malformed).
std::optional<ExpectedChecksum> FullObjectChecksum(const http::Headers& headers);

// Ok when `headers` promise no verifiable checksum or `body` matches it; kDataLoss naming the
// algorithm when it does not.
Status VerifyBodyChecksum(const http::Headers& headers, std::string_view body);

}  // namespace trainload::client
