#include "common/spec_text/json_yaml.h"

#include "absl/strings/str_cat.h"
#include "common/spec_text/yaml_scalar.h"
#include "google/protobuf/util/json_util.h"
#include "yaml-cpp/yaml.h"

namespace xenia::spec_text {
namespace {

void EmitString(YAML::Emitter& out, const std::string& s) {
  if (NeedsQuotesAsString(s)) {
    out << YAML::DoubleQuoted << s;
  } else {
    out << s;
  }
}

// Writes `node` (parsed from JSON) in block style, keys in document order.
void Emit(YAML::Emitter& out, const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      out << YAML::BeginMap;
      for (const auto& entry : node) {
        out << YAML::Key;
        EmitString(out, entry.first.Scalar());
        out << YAML::Value;
        Emit(out, entry.second);
      }
      out << YAML::EndMap;
      break;
    case YAML::NodeType::Sequence:
      out << YAML::BeginSeq;
      for (const YAML::Node& item : node) Emit(out, item);
      out << YAML::EndSeq;
      break;
    case YAML::NodeType::Scalar:
      // Quoted in the JSON ("!") means a string; plain means a number or bool.
      if (node.Tag() == "!") {
        EmitString(out, node.Scalar());
      } else {
        out << node.Scalar();
      }
      break;
    default:
      out << YAML::Null;
  }
}

}  // namespace

absl::StatusOr<std::string> MessageToJson(const google::protobuf::Message& msg) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = false;
  options.preserve_proto_field_names = false;
  std::string out;
  const auto status = google::protobuf::util::MessageToJsonString(msg, &out, options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("cannot print ", msg.GetDescriptor()->name(),
                                            " as JSON: ", status.ToString()));
  }
  if (out.empty() || out.back() != '\n') out.push_back('\n');
  return out;
}

absl::StatusOr<std::string> JsonToYaml(absl::string_view json) {
  YAML::Emitter out;
  try {
    const YAML::Node node = YAML::Load(std::string(json));
    Emit(out, node);
  } catch (const YAML::Exception& e) {
    return absl::InternalError(absl::StrCat("cannot print as YAML: ", e.what()));
  }
  if (!out.good())
    return absl::InternalError(absl::StrCat("cannot print as YAML: ", out.GetLastError()));
  return absl::StrCat(out.c_str(), "\n");
}

absl::StatusOr<std::string> MessageToYaml(const google::protobuf::Message& msg) {
  absl::StatusOr<std::string> json = MessageToJson(msg);
  if (!json.ok()) return json.status();
  return JsonToYaml(*json);
}

}  // namespace xenia::spec_text
