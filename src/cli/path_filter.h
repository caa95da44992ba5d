// --include / --exclude as the AWS CLI applies them: every file or object starts included, then
// each filter whose pattern matches its path relative to the source (or destination) root
// decides in turn, so the last matching filter wins. `--exclude '*' --include '*.txt'` keeps
// only .txt files; `--include '*.txt' --exclude '*'` keeps nothing.
//
// Patterns are Python fnmatch patterns, case-sensitive, matched against the whole relative path:
// '*' matches any run of characters including '/', '?' one character, "[abc]", "[a-z]" and
// "[!abc]" one character of (or not of) a set; a '[' without a closing ']' is literal, and there
// is no escape character. Characters are UTF-8 code points.
//
// Pure. A PathFilter is immutable after setup and then safe to share between threads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace trainload::cli {

// Whether the whole of `text` matches `pattern` (fnmatch.fnmatchcase).
bool GlobMatch(std::string_view pattern, std::string_view text);

class PathFilter {
 public:
  enum class Kind { kInclude, kExclude };

  // Appends a filter; filters apply in the order added.
  void Add(Kind kind, std::string pattern);
  bool empty() const { return rules_.empty(); }

  // Whether `relative_path` ('/'-separated, relative to the root) passes the filters.
  bool Includes(std::string_view relative_path) const;

 private:
  struct Rule {
    Kind kind;
    std::string pattern;
  };
  std::vector<Rule> rules_;
};

}  // namespace trainload::cli
