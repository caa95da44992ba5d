#include "common/time_format.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace trainload {
namespace {

constexpr const char* kWeekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::tm ToUtc(int64_t unix_seconds) {
  std::tm tm{};
  time_t t = static_cast<time_t>(unix_seconds);
  gmtime_r(&t, &tm);
  return tm;
}

// Parses exactly `width` decimal digits at `text[pos]`.
std::optional<int> Digits(std::string_view text, size_t pos, size_t width) {
  if (pos + width > text.size()) return std::nullopt;
  int value = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

std::optional<int> MonthIndex(std::string_view name) {
  for (int i = 0; i < 12; ++i) {
    if (name == kMonths[i]) return i;
  }
  return std::nullopt;
}

std::optional<int64_t> FromFields(int year, int month0, int day, int hour, int minute, int second) {
  if (month0 < 0 || month0 > 11 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
      second > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month0;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm));
}

// "HH:MM:SS" at text[pos].
bool ParseClock(std::string_view text, size_t pos, int* h, int* m, int* s) {
  auto hh = Digits(text, pos, 2), mm = Digits(text, pos + 3, 2), ss = Digits(text, pos + 6, 2);
  if (!hh || !mm || !ss || text[pos + 2] != ':' || text[pos + 5] != ':') return false;
  *h = *hh;
  *m = *mm;
  *s = *ss;
  return true;
}

}  // namespace

std::string FormatAmzDate(int64_t unix_seconds) {
  std::tm tm = ToUtc(unix_seconds);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string FormatScopeDate(int64_t unix_seconds) { return FormatAmzDate(unix_seconds).substr(0, 8); }

std::string FormatIso8601Millis(int64_t unix_millis) {
  int64_t seconds = unix_millis / 1000;
  int64_t millis = unix_millis % 1000;
  if (millis < 0) {
    millis += 1000;
    --seconds;
  }
  std::tm tm = ToUtc(seconds);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis));
  return buf;
}

std::string FormatHttpDate(int64_t unix_seconds) {
  // Every response carries the current time in Date, and object responses their Last-Modified:
  // the two alternate, so each thread keeps the last two formatted seconds.
  struct Entry {
    int64_t seconds = -1;
    std::string text;
  };
  thread_local Entry cache[2];
  thread_local int next = 0;
  for (const Entry& e : cache) {
    if (e.seconds == unix_seconds) return e.text;
  }
  std::tm tm = ToUtc(unix_seconds);
  // "Sun, 06 Nov 1994 08:49:37 GMT", written digit by digit: snprintf costs more than the rest
  // of a small GET's header formatting.
  std::string out = "Xxx, 00 Xxx 0000 00:00:00 GMT";
  auto put2 = [&](size_t at, int v) {
    out[at] = static_cast<char>('0' + v / 10 % 10);
    out[at + 1] = static_cast<char>('0' + v % 10);
  };
  out.replace(0, 3, kWeekdays[tm.tm_wday], 3);
  put2(5, tm.tm_mday);
  out.replace(8, 3, kMonths[tm.tm_mon], 3);
  int year = tm.tm_year + 1900;
  put2(12, year / 100);
  put2(14, year % 100);
  put2(17, tm.tm_hour);
  put2(20, tm.tm_min);
  put2(23, tm.tm_sec);
  Entry& slot = cache[next];
  next ^= 1;
  slot.seconds = unix_seconds;
  slot.text = out;
  return out;
}

std::optional<int64_t> ParseAmzDate(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  auto y = Digits(text, 0, 4), mo = Digits(text, 4, 2), d = Digits(text, 6, 2);
  auto h = Digits(text, 9, 2), mi = Digits(text, 11, 2), s = Digits(text, 13, 2);
  if (!y || !mo || !d || !h || !mi || !s) return std::nullopt;
  return FromFields(*y, *mo - 1, *d, *h, *mi, *s);
}

std::optional<int64_t> ParseHttpDate(std::string_view text) {
  int h, m, s;
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
  if (text.size() == 29 && text[3] == ',' && text.substr(25) == " GMT") {
    auto d = Digits(text, 5, 2), y = Digits(text, 12, 4);
    auto mon = MonthIndex(text.substr(8, 3));
    if (!d || !y || !mon || !ParseClock(text, 17, &h, &m, &s)) return std::nullopt;
    return FromFields(*y, *mon, *d, h, m, s);
  }
  // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
  if (size_t comma = text.find(", "); comma != std::string_view::npos && text.size() == comma + 24 &&
                                      text.substr(text.size() - 4) == " GMT") {
    size_t p = comma + 2;
    auto d = Digits(text, p, 2), y2 = Digits(text, p + 7, 2);
    auto mon = MonthIndex(text.substr(p + 3, 3));
    if (!d || !y2 || !mon || !ParseClock(text, p + 10, &h, &m, &s)) return std::nullopt;
    int year = *y2 < 70 ? 2000 + *y2 : 1900 + *y2;
    return FromFields(year, *mon, *d, h, m, s);
  }
  // asctime: "Sun Nov  6 08:49:37 1994"
  if (text.size() == 24 && text[3] == ' ' && text[7] == ' ') {
    auto mon = MonthIndex(text.substr(4, 3));
    std::string day(text.substr(8, 2));
    if (day[0] == ' ') day[0] = '0';
    auto d = Digits(day, 0, 2), y = Digits(text, 20, 4);
    if (!d || !y || !mon || !ParseClock(text, 11, &h, &m, &s)) return std::nullopt;
    return FromFields(*y, *mon, *d, h, m, s);
  }
  return std::nullopt;
}

std::optional<int64_t> ParseIso8601Millis(std::string_view text) {
  if (text.size() < 20 || text.back() != 'Z' || text[4] != '-' || text[7] != '-' ||
      text[10] != 'T') {
    return std::nullopt;
  }
  auto y = Digits(text, 0, 4), mo = Digits(text, 5, 2), d = Digits(text, 8, 2);
  int h, m, s;
  if (!y || !mo || !d || !ParseClock(text, 11, &h, &m, &s)) return std::nullopt;
  int millis = 0;
  std::string_view rest = text.substr(19, text.size() - 20);
  if (!rest.empty()) {
    if (rest[0] != '.' || rest.size() < 2) return std::nullopt;
    std::string_view frac = rest.substr(1);
    for (size_t i = 0; i < frac.size(); ++i) {
      if (frac[i] < '0' || frac[i] > '9') return std::nullopt;
      if (i < 3) millis = millis * 10 + (frac[i] - '0');
    }
    for (size_t i = frac.size(); i < 3; ++i) millis *= 10;
  }
  auto seconds = FromFields(*y, *mo - 1, *d, h, m, s);
  if (!seconds) return std::nullopt;
  return *seconds * 1000 + millis;
}

int64_t SystemClock::NowMillis() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace trainload
