// Reads a domain spec file for `xenia create`: an xl.cfg(5), or YAML or JSON
// in the proto3 JSON mapping of xenia.v1.DomainSpec. YAML and JSON are
// parsed here (common/spec_text); an xl.cfg is sent to the daemon, whose
// libxlutil reads it (DomainService.ParseDomainConfig), so the CLI needs no
// Xen libraries.
//
// Thread-safe: pure functions (ReadSpecFile reads the file system).
#pragma once

#include <istream>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "xenia/v1/domain_service.pb.h"

namespace xenia::cli {

struct SpecFile {
  // The name for messages: the path, or "<stdin>".
  std::string source;
  std::string text;
};

// Reads `path` ("-" reads `stdin_stream`). INVALID_ARGUMENT naming the path
// when it cannot be read.
absl::StatusOr<SpecFile> ReadSpecFile(const std::string& path, std::istream& stdin_stream);

// The format of a spec file: by its extension (.cfg and .xl: XL; .json;
// .yaml and .yml), else by its text: a first setting line of the form
// `key = ...` is xl.cfg, a leading '{' is JSON, anything else YAML.
xenia::v1::ConfigFormat DetectSpecFormat(const SpecFile& file);

// "xl", "json" or "yaml" (any case); nullopt otherwise.
std::optional<xenia::v1::ConfigFormat> ParseConfigFormatName(absl::string_view text);

}  // namespace xenia::cli
