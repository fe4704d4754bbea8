// The CLI's machine-readable output formats (-o json|yaml), rendered through
// common/spec_text/json_yaml.h.
//
// Thread-safe: pure functions.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace xenia::cli {

enum class OutputFormat { kTable, kJson, kYaml };

// "table", "json", "yaml".
std::optional<OutputFormat> ParseOutputFormat(absl::string_view text);

// kJson or kYaml; kTable is refused with INTERNAL (tables are per resource).
absl::StatusOr<std::string> FormatMessage(const google::protobuf::Message& msg,
                                          OutputFormat format);

}  // namespace xenia::cli
