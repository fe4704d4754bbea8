// Reads a message (a DomainSpec, a list of them) from YAML or JSON text in
// the proto3 JSON mapping (field names in lowerCamelCase or snake_case).
// Errors name the source and the problem:
//   vm.yaml: unknown field "memroy" in DomainSpec (line 3)
//
// Thread-safe: pure functions.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "xenia/v1/domain.pb.h"

namespace xenia::spec_text {

enum class SpecFormat {
  // By the source's extension (.json, .yaml, .yml), else by the first
  // character ('{' means JSON).
  kAuto,
  kYaml,
  kJson,
};

// Parses `text` into `msg`. `source` names the text in errors ("vm.yaml",
// "<stdin>"). Every error is INVALID_ARGUMENT "source: problem".
absl::Status ParseMessageText(absl::string_view text, absl::string_view source, SpecFormat format,
                              google::protobuf::Message* msg);

absl::StatusOr<xenia::v1::DomainSpec> ParseDomainSpec(absl::string_view text,
                                                      absl::string_view source,
                                                      SpecFormat format = SpecFormat::kAuto);

}  // namespace xenia::spec_text
