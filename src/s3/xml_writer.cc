#include "s3/xml_writer.h"

#include <array>
#include <cassert>
#include <charconv>

#include "common/time_format.h"

namespace trainload::s3 {
namespace {

// true for the bytes that cannot be copied into XML text as they are.
constexpr std::array<bool, 256> MakeEscapeTable() {
  std::array<bool, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = true;
  // TAB and LF survive a parse unchanged; CR does not (end-of-line handling turns it into LF),
  // so CR stays in the table and goes out as a character reference.
  table['\t'] = false;
  table['\n'] = false;
  for (unsigned char c : {'&', '<', '>', '"', '\''}) table[c] = true;
  return table;
}
constexpr std::array<bool, 256> kNeedsEscape = MakeEscapeTable();

void AppendReplacement(std::string& out, unsigned char c) {
  switch (c) {
    case '&':
      out.append("&amp;");
      return;
    case '<':
      out.append("&lt;");
      return;
    case '>':
      out.append("&gt;");
      return;
    case '"':
      out.append("&quot;");
      return;
    case '\'':
      out.append("&apos;");
      return;
    default: {
      // S3's form: lowercase hex, no leading zeros ("&#x1b;").
      static constexpr char kHex[] = "0123456789abcdef";
      out.append("&#x");
      if (c >= 0x10) out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
      out.push_back(';');
      return;
    }
  }
}

// Writes `value` as exactly `width` decimal digits ending just before `end`.
void PutDigits(char* end, int64_t value, int width) {
  for (int i = 0; i < width; ++i) {
    *--end = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
// (H. Hinnant's civil_from_days).
void CivilFromDays(int64_t days, int64_t& year, int& month, int& day) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t day_of_era = days - era * 146097;
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t shifted_month = (5 * day_of_year + 2) / 153;
  day = static_cast<int>(day_of_year - (153 * shifted_month + 2) / 5 + 1);
  month = static_cast<int>(shifted_month < 10 ? shifted_month + 3 : shifted_month - 9);
  year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
}

}  // namespace

XmlWriter::XmlWriter(size_t reserve_bytes) {
  out_.reserve(reserve_bytes);
  open_.reserve(8);
}

void XmlWriter::AppendEscaped(std::string& out, std::string_view text) {
  // Copy runs of plain bytes in one append: keys rarely hold anything to escape.
  size_t run_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (!kNeedsEscape[c]) continue;
    out.append(text.data() + run_start, i - run_start);
    AppendReplacement(out, c);
    run_start = i + 1;
  }
  out.append(text.data() + run_start, text.size() - run_start);
}

void XmlWriter::Declaration() { out_.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"); }

void XmlWriter::StartTag(std::string_view name, std::string_view xmlns) {
  out_.push_back('<');
  out_.append(name);
  if (!xmlns.empty()) {
    out_.append(" xmlns=\"");
    AppendEscaped(out_, xmlns);
    out_.push_back('"');
  }
}

void XmlWriter::EndTag(std::string_view name) {
  out_.append("</");
  out_.append(name);
  out_.push_back('>');
}

void XmlWriter::Open(std::string_view name, std::string_view xmlns) {
  open_.emplace_back(out_.size() + 1, name.size());
  StartTag(name, xmlns);
  out_.push_back('>');
}

void XmlWriter::Close() {
  assert(!open_.empty() && "XmlWriter::Close without an open element");
  const auto [offset, length] = open_.back();
  open_.pop_back();
  // The name is copied from out_ itself: reserve first so the copy's source stays valid.
  out_.reserve(out_.size() + length + 3);
  out_.append("</");
  out_.append(out_.data() + offset, length);
  out_.push_back('>');
}

void XmlWriter::Element(std::string_view name, std::string_view text) {
  StartTag(name, {});
  out_.push_back('>');
  AppendEscaped(out_, text);
  EndTag(name);
}

void XmlWriter::IntElement(std::string_view name, int64_t value) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof(digits), value);
  StartTag(name, {});
  out_.push_back('>');
  out_.append(digits, result.ptr);
  EndTag(name);
}

void XmlWriter::UintElement(std::string_view name, uint64_t value) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof(digits), value);
  StartTag(name, {});
  out_.push_back('>');
  out_.append(digits, result.ptr);
  EndTag(name);
}

void XmlWriter::BoolElement(std::string_view name, bool value) {
  StartTag(name, {});
  out_.push_back('>');
  out_.append(value ? "true" : "false");
  EndTag(name);
}

void XmlWriter::TimestampElement(std::string_view name, int64_t unix_millis) {
  int64_t seconds = unix_millis / 1000;
  int64_t millis = unix_millis % 1000;
  if (millis < 0) {
    millis += 1000;
    --seconds;
  }
  int64_t days = seconds / 86400;
  int64_t second_of_day = seconds % 86400;
  if (second_of_day < 0) {
    second_of_day += 86400;
    --days;
  }
  int64_t year = 0;
  int month = 0;
  int day = 0;
  CivilFromDays(days, year, month, day);
  StartTag(name, {});
  out_.push_back('>');
  if (year < 0 || year > 9999) {
    // Outside four-digit years defer to the reference formatter rather than guess its output.
    out_.append(FormatIso8601Millis(unix_millis));
  } else {
    char text[] = "0000-00-00T00:00:00.000Z";
    PutDigits(text + 4, year, 4);
    PutDigits(text + 7, month, 2);
    PutDigits(text + 10, day, 2);
    PutDigits(text + 13, second_of_day / 3600, 2);
    PutDigits(text + 16, second_of_day / 60 % 60, 2);
    PutDigits(text + 19, second_of_day % 60, 2);
    PutDigits(text + 23, millis, 3);
    out_.append(text, sizeof(text) - 1);
  }
  EndTag(name);
}

void XmlWriter::EmptyElement(std::string_view name, std::string_view xmlns) {
  StartTag(name, xmlns);
  out_.append("/>");
}

void XmlWriter::Text(std::string_view text) { AppendEscaped(out_, text); }

std::string XmlWriter::Take() {
  assert(open_.empty() && "XmlWriter::Take with elements still open");
  open_.clear();
  return std::exchange(out_, std::string());
}

}  // namespace trainload::s3
