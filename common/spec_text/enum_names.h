// API enum values as a person reads and types them: "running" for RUNNING,
// "shutting-down" for SHUTTING_DOWN; parsing accepts any case and '-' or '_'.
//
// Thread-safe: pure functions.
#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace xenia::spec_text {

// "-" for the zero (UNSPECIFIED) value; the number for values the descriptor
// does not know.
std::string EnumText(const google::protobuf::EnumDescriptor& type, int value);

// The value named by `text`; nullopt for unknown names and for the zero value.
std::optional<int> ParseEnumText(const google::protobuf::EnumDescriptor& type,
                                 absl::string_view text);

// "shutoff, running, paused, ..." (every value but the zero one).
std::string EnumChoices(const google::protobuf::EnumDescriptor& type);

}  // namespace xenia::spec_text
