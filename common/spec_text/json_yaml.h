// Messages as text for people and scripts: the proto3 JSON mapping
// (lowerCamelCase names, 64-bit integers as strings, defaults left out), or
// the same document as block-style YAML with the keys in the same order.
//
// Thread-safe: pure functions.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace xenia::spec_text {

// Indented JSON ending in a newline.
absl::StatusOr<std::string> MessageToJson(const google::protobuf::Message& msg);

// YAML for a JSON document, ending in a newline. Strings that YAML would read
// as something else ("512", "true", "") are quoted; so int64 values, which
// proto3 JSON writes as strings, stay strings.
absl::StatusOr<std::string> JsonToYaml(absl::string_view json);

absl::StatusOr<std::string> MessageToYaml(const google::protobuf::Message& msg);

}  // namespace xenia::spec_text
