// ListFilter: the subset of AIP-160 filters that List methods accept:
// comparisons `field = value` and `field != value`, joined by AND and OR
// (AND binds tighter), values bare or "quoted". Each List method says which
// fields it knows and how to read them from a row.
//
// Thread-safe: immutable after Parse.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace xenia {

class ListFilter {
 public:
  struct Comparison {
    std::string field;
    bool equal = true;
    std::string value;
  };
  // OR of ANDs.
  using Clauses = std::vector<std::vector<Comparison>>;

  // INVALID_ARGUMENT, prefixed "filter: ", for syntax errors and for fields
  // not in `known_fields`.
  static absl::StatusOr<ListFilter> Parse(absl::string_view text,
                                          const std::vector<std::string>& known_fields);

  // True if the filter is empty or `value_of` satisfies it. `value_of(field,
  // wanted)` says whether the row's field equals `wanted` (so that each field
  // decides how to compare: case, wildcards).
  bool Matches(const std::function<bool(const std::string& field, const std::string& wanted)>&
                   value_of) const;

  const Clauses& clauses() const { return clauses_; }
  bool empty() const { return clauses_.empty(); }

 private:
  Clauses clauses_;
};

// Glob match with '*' matching any run of characters.
bool GlobMatch(absl::string_view pattern, absl::string_view text);

}  // namespace xenia
