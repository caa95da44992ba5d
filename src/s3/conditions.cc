#include "s3/conditions.h"

#include <algorithm>
#include <vector>

#include "common/time_format.h"
#include "s3/error_code.h"

namespace trainload::s3 {
namespace {

std::string_view TrimOws(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::optional<std::string> NonEmpty(std::optional<std::string_view> value) {
  if (!value) return std::nullopt;
  const std::string_view trimmed = TrimOws(*value);
  if (trimmed.empty()) return std::nullopt;
  return std::string(trimmed);
}

std::optional<int64_t> Date(std::optional<std::string_view> value) {
  if (!value) return std::nullopt;
  return ParseHttpDate(TrimOws(*value));
}

struct EntityTag {
  std::string_view opaque;  // without quotes
  bool weak = false;
};

// Parses `"a", W/"b"` (RFC 9110 8.8.3). Clients also send bare, unquoted ETags (`If-Match: abc`,
// an ETag pasted without its quotes); S3 accepts them, so a bare element is an ETag too. Quoted
// tags may contain commas. A malformed element (`"a"b`, `"a`) is dropped: it matches nothing.
std::vector<EntityTag> ParseEntityTags(std::string_view list) {
  std::vector<EntityTag> tags;
  size_t begin = 0;
  while (begin <= list.size()) {
    // The element ends at the first comma outside quotes.
    size_t end = begin;
    bool quoted = false;
    for (; end < list.size() && (quoted || list[end] != ','); ++end) {
      if (list[end] == '"') quoted = !quoted;
    }
    std::string_view element = TrimOws(list.substr(begin, end - begin));
    begin = end + 1;
    EntityTag tag;
    if (element.starts_with("W/")) {
      tag.weak = true;
      element.remove_prefix(2);
    }
    if (element.size() >= 2 && element.front() == '"' && element.back() == '"') {
      tag.opaque = element.substr(1, element.size() - 2);
    } else if (!element.empty() && element.find('"') == std::string_view::npos) {
      tag.opaque = element;
    } else {
      continue;
    }
    if (tag.opaque.find('"') == std::string_view::npos) tags.push_back(tag);
  }
  return tags;
}

bool IsStar(std::string_view value) { return TrimOws(value) == "*"; }

// If-Match: strong comparison, so weak tags never match.
bool MatchesStrong(std::string_view header, std::string_view etag) {
  if (IsStar(header)) return true;
  for (const EntityTag& tag : ParseEntityTags(header)) {
    if (!tag.weak && tag.opaque == etag) return true;
  }
  return false;
}

// If-None-Match: weak comparison, W/ is ignored.
bool MatchesWeak(std::string_view header, std::string_view etag) {
  if (IsStar(header)) return true;
  for (const EntityTag& tag : ParseEntityTags(header)) {
    if (tag.opaque == etag) return true;
  }
  return false;
}

}  // namespace

Conditions ConditionsFromHeaders(std::optional<std::string_view> if_match,
                                 std::optional<std::string_view> if_none_match,
                                 std::optional<std::string_view> if_modified_since,
                                 std::optional<std::string_view> if_unmodified_since) {
  Conditions conditions;
  conditions.if_match = NonEmpty(if_match);
  conditions.if_none_match = NonEmpty(if_none_match);
  conditions.if_modified_since = Date(if_modified_since);
  conditions.if_unmodified_since = Date(if_unmodified_since);
  return conditions;
}

Conditions ConditionsFromHeaders(const HeaderLookup& lookup, std::string_view prefix) {
  const auto get = [&](std::string_view name) {
    return lookup(std::string(prefix) + std::string(name));
  };
  return ConditionsFromHeaders(get("if-match"), get("if-none-match"), get("if-modified-since"),
                               get("if-unmodified-since"));
}

ConditionOutcome EvaluateRead(const Conditions& conditions, std::string_view etag,
                              int64_t last_modified_seconds, std::optional<int64_t> now_seconds) {
  if (conditions.if_match) {
    if (!MatchesStrong(*conditions.if_match, etag)) return ConditionOutcome::kPreconditionFailed;
  } else if (conditions.if_unmodified_since &&
             last_modified_seconds > *conditions.if_unmodified_since) {
    return ConditionOutcome::kPreconditionFailed;
  }

  if (conditions.if_none_match) {
    if (MatchesWeak(*conditions.if_none_match, etag)) return ConditionOutcome::kNotModified;
  } else if (conditions.if_modified_since &&
             !(now_seconds && *conditions.if_modified_since > *now_seconds) &&
             last_modified_seconds <= *conditions.if_modified_since) {
    return ConditionOutcome::kNotModified;
  }
  return ConditionOutcome::kProceed;
}

ConditionOutcome EvaluateCopySource(const Conditions& conditions, std::string_view etag,
                                    int64_t last_modified_seconds,
                                    std::optional<int64_t> now_seconds) {
  const ConditionOutcome outcome =
      EvaluateRead(conditions, etag, last_modified_seconds, now_seconds);
  return outcome == ConditionOutcome::kProceed ? outcome : ConditionOutcome::kPreconditionFailed;
}

Status ConditionStatus(ConditionOutcome outcome, std::string_view resource) {
  switch (outcome) {
    case ConditionOutcome::kProceed:
      return Status::Ok();
    case ConditionOutcome::kNotModified:
      return MakeError(ErrorCode::kNotModified,
                       "Not Modified: " + std::string(resource) +
                           " matches If-None-Match or is unchanged since If-Modified-Since");
    case ConditionOutcome::kPreconditionFailed:
      return MakeError(ErrorCode::kPreconditionFailed,
                       "At least one of the pre-conditions you specified did not hold for " +
                           std::string(resource));
  }
  return Status::Ok();
}

Status EvaluateWrite(const Conditions& conditions, bool exists, std::string_view current_etag) {
  if (conditions.if_none_match && !IsStar(*conditions.if_none_match)) {
    return MakeError(ErrorCode::kNotImplemented,
                     "A header you provided implies functionality that is not implemented: "
                     "If-None-Match on a write accepts only '*', not '" +
                         *conditions.if_none_match + "'");
  }
  if (conditions.if_none_match && conditions.if_match) {
    return MakeError(ErrorCode::kNotImplemented,
                     "A header you provided implies functionality that is not implemented: "
                     "If-Match and If-None-Match together on a write");
  }
  if (conditions.if_none_match && exists) {
    return MakeError(ErrorCode::kPreconditionFailed,
                     "At least one of the pre-conditions you specified did not hold: "
                     "If-None-Match: * and the key already exists");
  }
  if (conditions.if_match) {
    if (!exists) {
      return MakeError(ErrorCode::kNoSuchKey,
                       "The specified key does not exist (If-Match: " + *conditions.if_match + ")");
    }
    if (!MatchesStrong(*conditions.if_match, current_etag)) {
      return MakeError(ErrorCode::kPreconditionFailed,
                       "At least one of the pre-conditions you specified did not hold: If-Match " +
                           *conditions.if_match + " does not match the current ETag \"" +
                           std::string(current_etag) + "\"");
    }
  }
  return Status::Ok();
}

}  // namespace trainload::s3
