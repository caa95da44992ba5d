// Wall-clock time as S3 and HTTP write it, and a Clock interface to inject time.
//
// All functions are pure (they take the time as an argument) and thread-safe. Times are Unix
// epoch seconds or milliseconds in UTC.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trainload {

// "20130524T000000Z" (SigV4 x-amz-date, ISO 8601 basic format).
std::string FormatAmzDate(int64_t unix_seconds);
// "20130524" (SigV4 credential scope date).
std::string FormatScopeDate(int64_t unix_seconds);
// "2013-05-24T00:00:00.000Z" (S3 XML timestamps).
std::string FormatIso8601Millis(int64_t unix_millis);
// "Fri, 24 May 2013 00:00:00 GMT" (RFC 7231 IMF-fixdate: Last-Modified, Date).
std::string FormatHttpDate(int64_t unix_seconds);

// Each returns nullopt when `text` is not exactly in the named format.
std::optional<int64_t> ParseAmzDate(std::string_view text);
// Accepts IMF-fixdate, the obsolete RFC 850 and asctime forms (RFC 7231 7.1.1.1).
std::optional<int64_t> ParseHttpDate(std::string_view text);
// "2013-05-24T00:00:00Z" or with fractional seconds ".000Z"; returns milliseconds.
std::optional<int64_t> ParseIso8601Millis(std::string_view text);

// The source of the current time. Production code uses SystemClock; tests pass fakes.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMillis() const = 0;
  int64_t NowSeconds() const { return NowMillis() / 1000; }
};

class SystemClock final : public Clock {
 public:
  int64_t NowMillis() const override;
};

}  // namespace trainload
