// Converts a parsed YAML (or JSON) document into proto3 JSON text for one
// message type, checking it against that type on the way, so that mistakes
// are reported the way a person would describe them:
//   unknown field "memroy" in DomainSpec (line 3)
//   field "vcpus" in DomainSpec: expected an integer, got "two" (line 4)
// Field names may be given as in the .proto (snake_case) or lowerCamelCase.
// Enum values may be given in any case ("pvh" for PVH).
//
// Thread-safe: pure functions.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "yaml-cpp/yaml.h"

namespace xenia::spec_text {

// `doc` must be a mapping. With `json_source`, the document was written as
// JSON and JSON's types are enforced: a number where a string belongs is an
// error (in YAML, `name: 123` is the string "123"). Errors are
// INVALID_ARGUMENT, without a file name.
absl::StatusOr<std::string> YamlToProtoJson(const YAML::Node& doc,
                                            const google::protobuf::Descriptor& type,
                                            bool json_source);

// Appends `s` as a JSON string literal.
void AppendJsonString(std::string* out, absl::string_view s);

}  // namespace xenia::spec_text
