#include "s3/aws_ini.h"

#include <cctype>

namespace trainload::s3 {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

Result<AwsIni> ParseAwsIni(std::string_view text, std::string_view source) {
  AwsIni ini;
  std::string section;
  bool in_section = false;
  size_t line_number = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = Trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_number;
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']') {
        return Error(InvalidArgument(std::string(source) + ":" + std::to_string(line_number) +
                                     ": section header is missing ']'"));
      }
      section = std::string(Trim(line.substr(1, line.size() - 2)));
      in_section = true;
      ini[section];
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return Error(InvalidArgument(std::string(source) + ":" + std::to_string(line_number) +
                                   ": expected 'key = value'"));
    }
    if (!in_section) {
      return Error(InvalidArgument(std::string(source) + ":" + std::to_string(line_number) +
                                   ": 'key = value' before any [section]"));
    }
    ini[section][Lower(Trim(line.substr(0, eq)))] = std::string(Trim(line.substr(eq + 1)));
  }
  return ini;
}

}  // namespace trainload::s3
