#include "common/spec_text/message_text.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "common/spec_text/yaml_to_json.h"
#include "google/protobuf/util/json_util.h"
#include "yaml-cpp/yaml.h"

namespace xenia::spec_text {
namespace {

using google::protobuf::Descriptor;

absl::Status Problem(absl::string_view source, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", problem));
}

SpecFormat Detect(absl::string_view source, absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(source);
  if (absl::EndsWith(lower, ".json")) return SpecFormat::kJson;
  if (absl::EndsWith(lower, ".yaml") || absl::EndsWith(lower, ".yml")) return SpecFormat::kYaml;
  absl::string_view t = absl::StripLeadingAsciiWhitespace(text);
  return !t.empty() && t[0] == '{' ? SpecFormat::kJson : SpecFormat::kYaml;
}

// The one document of `text`. Errors carry no source prefix.
absl::StatusOr<YAML::Node> LoadDocument(absl::string_view text, const Descriptor& type) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(text));
  } catch (const YAML::ParserException& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid YAML: ", e.msg, " (line ", e.mark.line + 1, ")"));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid YAML: ", e.what()));
  }
  if (docs.size() > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("holds ", docs.size(), " documents; expected one ", type.name()));
  }
  if (docs.empty() || docs[0].IsNull()) {
    return absl::InvalidArgumentError(
        absl::StrCat("empty document; expected a ", type.name(), " mapping"));
  }
  return docs[0];
}

absl::StatusOr<std::string> Walk(const YAML::Node& doc, const Descriptor& type, bool json_source) {
  try {
    return YamlToProtoJson(doc, type, json_source);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid document: ", e.what()));
  }
}

// "INT32" for "TYPE_INT32", "DomainType" for
// "type.googleapis.com/xenia.v1.DomainType".
std::string ShortTypeName(absl::string_view t) {
  if (absl::StartsWith(t, "TYPE_")) return absl::AsciiStrToLower(t.substr(5));
  const size_t dot = t.rfind('.');
  return std::string(dot == absl::string_view::npos ? t : t.substr(dot + 1));
}

// Rewrites protobuf's terse JSON parser messages ("memroy: Cannot find
// field.", "(vcpus): invalid value "two" for type TYPE_INT32") into the shape
// of the others. Only reached for what the schema walk did not catch.
std::string RewriteProtobufError(absl::string_view message, const Descriptor& type) {
  absl::string_view line = message.substr(0, message.find('\n'));
  line = absl::StripAsciiWhitespace(line);
  std::string path;
  absl::string_view rest = line;
  if (absl::StartsWith(rest, "(")) {
    const size_t close = rest.find(')');
    if (close != absl::string_view::npos) {
      path = std::string(rest.substr(1, close - 1));
      rest = absl::StripLeadingAsciiWhitespace(rest.substr(close + 1));
    }
  }
  if (absl::ConsumeSuffix(&rest, ": Cannot find field.")) {
    return absl::StrCat("unknown field \"", rest, "\" in ", type.name(),
                        path.empty() ? "" : absl::StrCat(" at ", path));
  }
  if (absl::ConsumePrefix(&rest, ": invalid value ")) {
    const size_t for_type = rest.rfind(" for type ");
    if (for_type != absl::string_view::npos) {
      return absl::StrCat("field \"", path, "\" in ", type.name(), ": invalid value ",
                          rest.substr(0, for_type), " for ",
                          ShortTypeName(rest.substr(for_type + 10)));
    }
  }
  if (absl::StrContains(line, "Root element must be a message")) {
    return absl::StrCat("expected a JSON object (a ", type.name(), ")");
  }
  return absl::StrCat("invalid JSON: ", line);
}

absl::Status ParseJson(absl::string_view json, google::protobuf::Message* msg) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  msg->Clear();
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), msg, options);
  if (status.ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(std::string(status.message()));
}

}  // namespace

absl::Status ParseMessageText(absl::string_view text, absl::string_view source, SpecFormat format,
                              google::protobuf::Message* msg) {
  const Descriptor& type = *msg->GetDescriptor();
  if (format == SpecFormat::kAuto) format = Detect(source, text);
  if (format == SpecFormat::kYaml) {
    absl::StatusOr<YAML::Node> doc = LoadDocument(text, type);
    if (!doc.ok()) return Problem(source, doc.status().message());
    absl::StatusOr<std::string> json = Walk(*doc, type, /*json_source=*/false);
    if (!json.ok()) return Problem(source, json.status().message());
    absl::Status parsed = ParseJson(*json, msg);
    if (!parsed.ok()) return Problem(source, RewriteProtobufError(parsed.message(), type));
    return absl::OkStatus();
  }
  // JSON is parsed as it is. The schema walk (JSON is YAML) then checks what
  // protobuf's parser lets through, such as "yes" for a bool or an object for
  // a list, and words errors better; where yaml-cpp cannot read the text,
  // protobuf's verdict stands.
  if (absl::StripAsciiWhitespace(text).empty()) {
    return Problem(source, absl::StrCat("empty document; expected a ", type.name(), " object"));
  }
  absl::Status parsed = ParseJson(text, msg);
  absl::StatusOr<YAML::Node> doc = LoadDocument(text, type);
  if (doc.ok()) {
    absl::StatusOr<std::string> walked = Walk(*doc, type, /*json_source=*/true);
    if (!walked.ok()) {
      msg->Clear();
      return Problem(source, walked.status().message());
    }
  }
  if (!parsed.ok()) return Problem(source, RewriteProtobufError(parsed.message(), type));
  return absl::OkStatus();
}

absl::StatusOr<xenia::v1::DomainSpec> ParseDomainSpec(absl::string_view text,
                                                      absl::string_view source, SpecFormat format) {
  xenia::v1::DomainSpec spec;
  absl::Status s = ParseMessageText(text, source, format, &spec);
  if (!s.ok()) return s;
  return spec;
}

}  // namespace xenia::spec_text
