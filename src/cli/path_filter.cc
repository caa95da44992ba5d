#include "cli/path_filter.h"

#include <optional>

namespace trainload::cli {
namespace {

// Code points of a UTF-8 string. A byte that does not start a valid sequence stands for itself
// (as U+DC80..U+DCFF, Python's surrogateescape), so any key can still be matched.
std::u32string DecodeUtf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    size_t length = byte < 0x80           ? 1
                    : (byte >> 5) == 0x6  ? 2
                    : (byte >> 4) == 0xE  ? 3
                    : (byte >> 3) == 0x1E ? 4
                                          : 0;
    char32_t code = length == 1   ? byte
                    : length == 2 ? byte & 0x1F
                    : length == 3 ? byte & 0x0F
                                  : byte & 0x07;
    bool valid = length > 0 && i + length <= text.size();
    for (size_t k = 1; valid && k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) valid = false;
      code = (code << 6) | (next & 0x3F);
    }
    if (valid) {
      out.push_back(code);
      i += length;
    } else {
      out.push_back(0xDC00 | byte);
      ++i;
    }
  }
  return out;
}

// Matches the set starting at pattern[p] == '[' against `c`. Returns the index just past the
// closing ']' and whether `c` is in the set; nullopt when there is no closing ']' (then the '['
// is an ordinary character, as in fnmatch).
struct SetMatch {
  size_t end;
  bool matched;
};
std::optional<SetMatch> MatchSet(const std::u32string& pattern, size_t p, char32_t c) {
  size_t i = p + 1;
  bool negate = false;
  if (i < pattern.size() && pattern[i] == U'!') {
    negate = true;
    ++i;
  }
  // A ']' right after "[" or "[!" is a member, not the end.
  size_t first = i;
  bool matched = false;
  while (i < pattern.size() && (pattern[i] != U']' || i == first)) {
    char32_t low = pattern[i];
    if (i + 2 < pattern.size() && pattern[i + 1] == U'-' && pattern[i + 2] != U']') {
      char32_t high = pattern[i + 2];
      if (low <= c && c <= high) matched = true;
      i += 3;
    } else {
      if (c == low) matched = true;
      ++i;
    }
  }
  if (i >= pattern.size()) return std::nullopt;
  return SetMatch{i + 1, matched != negate};
}

}  // namespace

bool GlobMatch(std::string_view pattern_text, std::string_view text_utf8) {
  const std::u32string pattern = DecodeUtf8(pattern_text);
  const std::u32string text = DecodeUtf8(text_utf8);
  size_t p = 0;
  size_t t = 0;
  // Where to resume after the most recent '*': the pattern just past it, and the next text
  // position it should try to swallow. One star to return to suffices: a later star can always
  // absorb what an earlier one would have (the classic linear-backtracking glob).
  std::optional<size_t> star_p;
  size_t star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size()) {
      char32_t pc = pattern[p];
      if (pc == U'*') {
        star_p = ++p;
        star_t = t;
        continue;
      }
      if (pc == U'?') {
        ++p;
        ++t;
        continue;
      }
      if (pc == U'[') {
        if (auto set = MatchSet(pattern, p, text[t])) {
          if (set->matched) {
            p = set->end;
            ++t;
            continue;
          }
        } else if (text[t] == U'[') {
          ++p;
          ++t;
          continue;
        }
      } else if (pc == text[t]) {
        ++p;
        ++t;
        continue;
      }
    }
    if (!star_p) return false;
    p = *star_p;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == U'*') ++p;
  return p == pattern.size();
}

void PathFilter::Add(Kind kind, std::string pattern) {
  rules_.push_back(Rule{kind, std::move(pattern)});
}

bool PathFilter::Includes(std::string_view relative_path) const {
  bool included = true;
  for (const Rule& rule : rules_) {
    if (GlobMatch(rule.pattern, relative_path)) included = rule.kind == Kind::kInclude;
  }
  return included;
}

}  // namespace trainload::cli
