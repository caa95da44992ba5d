// libFuzzer entry point for the request-body parsers (request_xml.h). Not part of the library
// (the build glob skips *_fuzz.cc). Build it with a clang whose C++23 mode provides
// std::expected for the standard library in use (Debian's clang 14 with libstdc++ 12 does not):
//   clang++ -std=c++2b -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
//     src/s3/request_xml_fuzz.cc src/s3/request_xml.cc src/s3/error_code.cc \
//     src/common/status.cc -lpugixml -o request_xml_fuzz
// or link it under g++ -fsanitize=address,undefined with any driver that calls
// LLVMFuzzerTestOneInput.
//
// Every parser must return a value or a MalformedXML error for any input, never crash, hang or
// return a key longer than the body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "s3/error_code.h"
#include "s3/request_xml.h"

namespace {

template <typename T>
void CheckOutcome(const trainload::Result<T>& result) {
  if (!result.has_value() &&
      trainload::s3::ErrorCodeOf(result.error()) != trainload::s3::ErrorCode::kMalformedXML) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  const auto parts = trainload::s3::ParseCompleteMultipartUpload(body);
  CheckOutcome(parts);
  if (parts.has_value() && parts->size() > trainload::s3::kMaxCompletedParts) std::abort();

  const auto request = trainload::s3::ParseDelete(body);
  CheckOutcome(request);
  if (request.has_value()) {
    if (request->objects.empty() || request->objects.size() > trainload::s3::kMaxDeleteObjects) {
      std::abort();
    }
    for (const auto& object : request->objects) {
      // Latin-1 bodies are widened to UTF-8, at most doubling in size.
      if (object.key.size() > 2 * size) std::abort();
    }
  }

  CheckOutcome(trainload::s3::ParseCreateBucketConfiguration(body));
  CheckOutcome(trainload::s3::ParseVersioningStatus(body));
  return 0;
}
