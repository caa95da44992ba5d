// The HTTP Range header as S3 applies it to GetObject/HeadObject, Content-Range, and the
// x-amz-copy-source-range header of UploadPartCopy.
//
// S3 serves at most one range per request and never multipart/byteranges. A Range header it
// cannot use is ignored and the whole object is served (200): a unit other than bytes, a syntax
// error, a range whose last byte precedes its first (`bytes=5-2`), or several ranges
// (`bytes=0-1,3-4`). A well-formed range that selects no byte is unsatisfiable: 416 InvalidRange.
// UploadPartCopy is strict instead: its range must be `bytes=first-last` inside the source.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "trainload/status.h"

namespace trainload::s3 {

// An inclusive byte range [first, last] of an object; never empty.
struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;

  uint64_t length() const { return last - first + 1; }
  friend bool operator==(const ByteRange&, const ByteRange&) = default;
};

// Resolves a Range header value against an object of `object_size` bytes:
//   `bytes=a-b`  [a, min(b, size-1)]
//   `bytes=a-`   [a, size-1]
//   `bytes=-n`   the last min(n, size) bytes
// Returns nullopt when the whole object is to be served (empty header, or one S3 ignores, see
// above). Returns InvalidRange (416, message naming the range and the size) when the range is
// well-formed but unsatisfiable: a == size or beyond, `bytes=-0`, or any range of an empty
// object. The unit is matched case-insensitively; whitespace around the value is ignored.
Result<std::optional<ByteRange>> ResolveRange(std::string_view range_header, uint64_t object_size);

// "bytes 0-9/100", the Content-Range of a 206 response.
std::string ContentRange(const ByteRange& range, uint64_t object_size);
// "bytes */100", the Content-Range of a 416 response.
std::string UnsatisfiedContentRange(uint64_t object_size);

// Parses UploadPartCopy's x-amz-copy-source-range, which must be exactly `bytes=first-last`
// with first <= last < source_size. Errors, as S3 words them (both InvalidArgument, 400):
//   a malformed value or last < first: "The x-amz-copy-source-range value must be of the form
//     bytes=first-last where first and last are the zero-based offsets of the first and last
//     bytes to copy"
//   a range past the end: "Range specified is not valid for source object of size: N"
// Each message ends with the value received.
Result<ByteRange> ParseCopySourceRange(std::string_view header, uint64_t source_size);

}  // namespace trainload::s3
