#include "cli/output/json_yaml.h"

#include "common/spec_text/json_yaml.h"

namespace xenia::cli {

std::optional<OutputFormat> ParseOutputFormat(absl::string_view text) {
  if (text == "table") return OutputFormat::kTable;
  if (text == "json") return OutputFormat::kJson;
  if (text == "yaml") return OutputFormat::kYaml;
  return std::nullopt;
}

absl::StatusOr<std::string> FormatMessage(const google::protobuf::Message& msg,
                                          OutputFormat format) {
  switch (format) {
    case OutputFormat::kJson:
      return spec_text::MessageToJson(msg);
    case OutputFormat::kYaml:
      return spec_text::MessageToYaml(msg);
    case OutputFormat::kTable:
      break;
  }
  return absl::InternalError("FormatMessage: table output is rendered per resource");
}

}  // namespace xenia::cli
