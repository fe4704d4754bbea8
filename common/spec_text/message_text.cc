#include "common/spec_text/message_text.h"

#include <cstddef>
#include <optional>
#include <sstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "common/spec_text/yaml_to_json.h"
#include "google/protobuf/util/json_util.h"
#include "yaml-cpp/eventhandler.h"
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

// Notes where each document starts; builds nothing.
class DocumentStarts : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  YAML::Mark start;
};

// How many documents `text` holds. Not YAML::LoadAll: yaml-cpp 0.7's parser
// does not consume a token that cannot start a node (a ',' at the top level,
// as in ", a"); it reports an empty document there, and the same again for
// every next one, so LoadAll never returns and grows its list of documents
// until memory runs out. Here a document that starts where the one before
// it did is that token, and an error. Throws what yaml-cpp throws.
absl::StatusOr<size_t> CountDocuments(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts starts;
  size_t count = 0;
  int last_start = -1;
  while (parser.HandleNextDocument(starts)) {
    if (starts.start.pos == last_start) {
      const int pos = starts.start.pos;
      const bool shown = pos >= 0 && static_cast<size_t>(pos) < text.size() &&
                         absl::ascii_isgraph(static_cast<unsigned char>(text[pos]));
      return absl::InvalidArgumentError(
          absl::StrCat("invalid YAML: unexpected ",
                       shown ? absl::StrCat("'", std::string(1, text[pos]), "'") : "input",
                       " (line ", starts.start.line + 1, ")"));
    }
    last_start = starts.start.pos;
    ++count;
  }
  return count;
}

// The one document of `text`. Errors carry no source prefix.
absl::StatusOr<YAML::Node> LoadDocument(absl::string_view text, const Descriptor& type) {
  const std::string input(text);
  absl::StatusOr<size_t> count;
  std::optional<YAML::Node> doc;
  try {
    count = CountDocuments(input);
    if (count.ok() && *count > 0) doc.emplace(YAML::Load(input));
  } catch (const YAML::ParserException& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid YAML: ", e.msg, " (line ", e.mark.line + 1, ")"));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid YAML: ", e.what()));
  }
  if (!count.ok()) return count.status();
  if (*count > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("holds ", *count, " documents; expected one ", type.name()));
  }
  if (!doc.has_value() || doc->IsNull()) {
    return absl::InvalidArgumentError(
        absl::StrCat("empty document; expected a ", type.name(), " mapping"));
  }
  return *doc;
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
