// Reads a domain spec file for `xenia create`: YAML or JSON in the proto3 JSON
// mapping of xenia.v1.DomainSpec (field names in lowerCamelCase or
// snake_case). Errors name the file and the problem:
//   vm.yaml: unknown field "memroy" in DomainSpec (line 3)
//
// Thread-safe: pure functions (ReadDomainSpecFile reads the file system).
#pragma once

#include <istream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "xenia/v1/domain.pb.h"

namespace xenia::cli {

enum class SpecFormat {
  // By the file name's extension (.json, .yaml, .yml), else by the first
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

// Reads `path` ("-" reads `stdin_stream`) and parses it.
absl::StatusOr<xenia::v1::DomainSpec> ReadDomainSpecFile(const std::string& path,
                                                         std::istream& stdin_stream);

}  // namespace xenia::cli
