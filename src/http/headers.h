// An ordered list of HTTP header fields with case-insensitive lookup.
//
// Names are stored lowercased (HTTP field names are case-insensitive and SigV4 canonicalizes
// them to lowercase anyway); values are stored as received. Duplicates are kept in order.
// A value type; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trainload::http {

class Headers {
 public:
  using Entry = std::pair<std::string, std::string>;

  // Appends a field; `name` is lowercased.
  void Add(std::string_view name, std::string_view value);
  // Replaces every field named `name` with one field.
  void Set(std::string_view name, std::string_view value);
  void Remove(std::string_view name);
  // Removes every field; the list keeps its capacity, so refilling a reused Headers does not
  // allocate for short names and values.
  void Clear() { entries_.clear(); }
  // Makes room for `count` fields, so building a response head does not regrow the list.
  void Reserve(size_t count) { entries_.reserve(count); }

  // The first value of `name` (any case), or nullopt.
  std::optional<std::string_view> Get(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }

  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }

 private:
  std::vector<Entry> entries_;
};

// Lowercases ASCII letters.
std::string ToLowerAscii(std::string_view text);
// Case-insensitive ASCII equality.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace trainload::http
