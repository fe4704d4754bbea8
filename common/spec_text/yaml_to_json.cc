#include "common/spec_text/yaml_to_json.h"

#include <cstdint>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "common/spec_text/enum_names.h"
#include "common/spec_text/yaml_scalar.h"

namespace xenia::spec_text {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

// yaml-cpp tags plain scalars "?" and quoted ones "!".
bool IsPlain(const YAML::Node& node) { return node.Tag() != "!"; }

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return absl::StrCat("\"", node.Scalar(), "\"");
    default:
      return "nothing";
  }
}

std::string LineOf(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null() || mark.line < 0) return "";
  return absl::StrCat(" (line ", mark.line + 1, ")");
}

std::string At(const std::string& path) { return path.empty() ? "" : absl::StrCat(" at ", path); }

const FieldDescriptor* FindField(const Descriptor& type, absl::string_view key) {
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* f = type.field(i);
    if (f->name() == key || f->json_name() == key) return f;
  }
  return nullptr;
}

// Well-known types whose JSON form is a string.
bool IsStringWellKnownType(const Descriptor& type) {
  const std::string& n = type.full_name();
  return n == "google.protobuf.Duration" || n == "google.protobuf.Timestamp" ||
         n == "google.protobuf.FieldMask";
}

std::string FloatLiteral(absl::string_view text) {
  std::string t(text);
  if (!t.empty() && t[0] == '+') t.erase(0, 1);
  const std::string lower = absl::AsciiStrToLower(t);
  if (lower == ".inf") return "\"Infinity\"";
  if (lower == "-.inf") return "\"-Infinity\"";
  if (lower == ".nan") return "\"NaN\"";
  double d = 0;
  if (!absl::SimpleAtod(t, &d)) return "null";
  return absl::StrFormat("%.17g", d);
}

class Converter {
 public:
  explicit Converter(bool json_source) : json_source_(json_source) {}

  // `path` locates `node` for messages: "" for the document, "disks[0]".
  absl::Status Message(const YAML::Node& node, const Descriptor& type, const std::string& path,
                       std::string* out) {
    out->push_back('{');
    std::set<const FieldDescriptor*> seen;
    bool first = true;
    for (const auto& entry : node) {
      const YAML::Node& key = entry.first;
      if (!key.IsScalar()) {
        return Error(absl::StrCat("keys of ", type.name(), At(path), " must be field names"), key);
      }
      const FieldDescriptor* field = FindField(type, key.Scalar());
      if (field == nullptr) {
        return Error(
            absl::StrCat("unknown field \"", key.Scalar(), "\" in ", type.name(), At(path)), key);
      }
      if (!seen.insert(field).second) {
        return Error(absl::StrCat("field \"", key.Scalar(), "\" in ", type.name(), At(path),
                                  " is given twice"),
                     key);
      }
      if (!first) out->push_back(',');
      first = false;
      AppendJsonString(out, field->json_name());
      out->push_back(':');
      const Where where{&type, path, key.Scalar()};
      absl::Status s = field->is_map()        ? Map(entry.second, *field, where, out)
                       : field->is_repeated() ? List(entry.second, *field, where, out)
                                              : Value(entry.second, *field, where, "", out);
      if (!s.ok()) return s;
    }
    out->push_back('}');
    return absl::OkStatus();
  }

  // Anything without a schema (google.protobuf.Struct and the like).
  void Untyped(const YAML::Node& node, std::string* out) {
    if (node.IsMap()) {
      out->push_back('{');
      bool first = true;
      for (const auto& entry : node) {
        if (!first) out->push_back(',');
        first = false;
        AppendJsonString(out, entry.first.IsScalar() ? entry.first.Scalar() : "");
        out->push_back(':');
        Untyped(entry.second, out);
      }
      out->push_back('}');
    } else if (node.IsSequence()) {
      out->push_back('[');
      for (size_t i = 0; i < node.size(); ++i) {
        if (i > 0) out->push_back(',');
        Untyped(node[i], out);
      }
      out->push_back(']');
    } else if (!node.IsScalar()) {
      out->append("null");
    } else if (!IsPlain(node)) {
      AppendJsonString(out, node.Scalar());
    } else {
      switch (ClassifyPlainScalar(node.Scalar())) {
        case ScalarKind::kNull:
          out->append("null");
          break;
        case ScalarKind::kBool:
          out->append(absl::AsciiStrToLower(node.Scalar()));
          break;
        case ScalarKind::kInt:
        case ScalarKind::kFloat:
          out->append(FloatLiteral(node.Scalar()));
          break;
        case ScalarKind::kString:
          AppendJsonString(out, node.Scalar());
          break;
      }
    }
  }

 private:
  // Where a field value sits, for messages.
  struct Where {
    const Descriptor* owner;
    std::string path;  // of the owner
    std::string key;   // as the user spelled it
  };

  static absl::Status Error(absl::string_view problem, const YAML::Node& node) {
    return absl::InvalidArgumentError(absl::StrCat(problem, LineOf(node)));
  }

  static absl::Status FieldError(const Where& where, absl::string_view suffix,
                                 absl::string_view problem, const YAML::Node& node) {
    return Error(absl::StrCat("field \"", where.key, suffix, "\" in ", where.owner->name(),
                              At(where.path), ": ", problem),
                 node);
  }

  absl::Status List(const YAML::Node& node, const FieldDescriptor& field, const Where& where,
                    std::string* out) {
    if (node.IsNull()) {
      out->append("null");
      return absl::OkStatus();
    }
    if (!node.IsSequence()) {
      return FieldError(where, "", absl::StrCat("expected a list, got ", Describe(node)), node);
    }
    out->push_back('[');
    for (size_t i = 0; i < node.size(); ++i) {
      if (i > 0) out->push_back(',');
      absl::Status s = Value(node[i], field, where, absl::StrCat("[", i, "]"), out);
      if (!s.ok()) return s;
    }
    out->push_back(']');
    return absl::OkStatus();
  }

  absl::Status Map(const YAML::Node& node, const FieldDescriptor& field, const Where& where,
                   std::string* out) {
    if (node.IsNull()) {
      out->append("null");
      return absl::OkStatus();
    }
    if (!node.IsMap()) {
      return FieldError(where, "", absl::StrCat("expected a mapping, got ", Describe(node)), node);
    }
    const FieldDescriptor& value_field = *field.message_type()->map_value();
    std::set<std::string> keys;
    out->push_back('{');
    bool first = true;
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) {
        return FieldError(where, "", "keys must be plain values", entry.first);
      }
      const std::string& key = entry.first.Scalar();
      if (!keys.insert(key).second) {
        return FieldError(where, "", absl::StrCat("key \"", key, "\" is given twice"), entry.first);
      }
      if (!first) out->push_back(',');
      first = false;
      AppendJsonString(out, key);
      out->push_back(':');
      absl::Status s =
          Value(entry.second, value_field, where, absl::StrCat("[\"", key, "\"]"), out);
      if (!s.ok()) return s;
    }
    out->push_back('}');
    return absl::OkStatus();
  }

  // One value of `field` (a singular field, an element of a list or a map
  // value); `suffix` is "[2]" or "[\"key\"]" for those.
  absl::Status Value(const YAML::Node& node, const FieldDescriptor& field, const Where& where,
                     const std::string& suffix, std::string* out) {
    if (node.IsNull()) {
      out->append("null");
      return absl::OkStatus();
    }
    if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      const Descriptor& type = *field.message_type();
      if (IsStringWellKnownType(type)) {
        if (!node.IsScalar()) {
          return FieldError(where, suffix,
                            absl::StrCat("expected a ", type.name(), ", got ", Describe(node)),
                            node);
        }
        AppendJsonString(out, node.Scalar());
        return absl::OkStatus();
      }
      if (type.file()->package() == "google.protobuf") {
        Untyped(node, out);
        return absl::OkStatus();
      }
      if (!node.IsMap()) {
        return FieldError(
            where, suffix,
            absl::StrCat("expected a mapping (a ", type.name(), "), got ", Describe(node)), node);
      }
      const std::string path =
          absl::StrCat(where.path, where.path.empty() ? "" : ".", where.key, suffix);
      return Message(node, type, path, out);
    }
    if (!node.IsScalar()) {
      return FieldError(where, suffix,
                        absl::StrCat("expected a single value, got ", Describe(node)), node);
    }
    return Scalar(node, field, where, suffix, out);
  }

  absl::Status Scalar(const YAML::Node& node, const FieldDescriptor& field, const Where& where,
                      const std::string& suffix, std::string* out) {
    const std::string& text = node.Scalar();
    const ScalarKind kind = IsPlain(node) ? ClassifyPlainScalar(text) : ScalarKind::kString;
    switch (field.cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        if (json_source_ && kind != ScalarKind::kString) {
          return FieldError(where, suffix, absl::StrCat("expected a string, got ", text), node);
        }
        AppendJsonString(out, text);
        return absl::OkStatus();
      case FieldDescriptor::CPPTYPE_BOOL: {
        const std::string lower = absl::AsciiStrToLower(text);
        if (lower != "true" && lower != "false") {
          return FieldError(where, suffix,
                            absl::StrCat("expected true or false, got \"", text, "\""), node);
        }
        out->append(lower);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_INT32:
      case FieldDescriptor::CPPTYPE_INT64:
      case FieldDescriptor::CPPTYPE_UINT32:
      case FieldDescriptor::CPPTYPE_UINT64:
        return Integer(node, field, where, suffix, out);
      case FieldDescriptor::CPPTYPE_FLOAT:
      case FieldDescriptor::CPPTYPE_DOUBLE: {
        const ScalarKind as_plain = ClassifyPlainScalar(text);
        if (as_plain != ScalarKind::kInt && as_plain != ScalarKind::kFloat) {
          return FieldError(where, suffix, absl::StrCat("expected a number, got \"", text, "\""),
                            node);
        }
        out->append(FloatLiteral(text));
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        const google::protobuf::EnumDescriptor& type = *field.enum_type();
        int number = 0;
        if (absl::SimpleAtoi(text, &number)) {
          out->append(std::to_string(number));
          return absl::OkStatus();
        }
        const google::protobuf::EnumValueDescriptor* value = type.FindValueByName(text);
        if (value == nullptr) {
          const std::optional<int> parsed = ParseEnumText(type, text);
          if (parsed.has_value()) value = type.FindValueByNumber(*parsed);
        }
        if (value == nullptr) {
          return FieldError(
              where, suffix,
              absl::StrCat(
                  "unknown value \"", text, "\" (one of ",
                  absl::AsciiStrToUpper(absl::StrReplaceAll(EnumChoices(type), {{"-", "_"}})), ")"),
              node);
        }
        AppendJsonString(out, value->name());
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        break;
    }
    return FieldError(where, suffix, "unsupported field type", node);
  }

  static absl::Status Integer(const YAML::Node& node, const FieldDescriptor& field,
                              const Where& where, const std::string& suffix, std::string* out) {
    std::string text = node.Scalar();
    if (!text.empty() && text[0] == '+') text.erase(0, 1);
    bool ok = false;
    std::string decimal;
    switch (field.cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: {
        int32_t v = 0;
        ok = absl::SimpleAtoi(text, &v);
        decimal = std::to_string(v);
        break;
      }
      case FieldDescriptor::CPPTYPE_INT64: {
        int64_t v = 0;
        ok = absl::SimpleAtoi(text, &v);
        decimal = std::to_string(v);
        break;
      }
      case FieldDescriptor::CPPTYPE_UINT32: {
        uint32_t v = 0;
        ok = absl::SimpleAtoi(text, &v);
        decimal = std::to_string(v);
        break;
      }
      default: {
        uint64_t v = 0;
        ok = absl::SimpleAtoi(text, &v);
        decimal = std::to_string(v);
        break;
      }
    }
    if (!ok) {
      const bool looks_integer = ClassifyPlainScalar(text) == ScalarKind::kInt;
      return FieldError(
          where, suffix,
          looks_integer
              ? absl::StrCat(node.Scalar(), " is out of range for ", field.cpp_type_name())
              : absl::StrCat("expected an integer, got \"", node.Scalar(), "\""),
          node);
    }
    // Quoted, as proto3 JSON writes 64-bit integers: exact for every width.
    AppendJsonString(out, decimal);
    return absl::OkStatus();
  }

  const bool json_source_;
};

}  // namespace

void AppendJsonString(std::string* out, absl::string_view s) {
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

absl::StatusOr<std::string> YamlToProtoJson(const YAML::Node& doc,
                                            const google::protobuf::Descriptor& type,
                                            bool json_source) {
  if (!doc.IsMap()) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a mapping (a ", type.name(), "), got ", Describe(doc)));
  }
  std::string out;
  Converter converter(json_source);
  absl::Status s = converter.Message(doc, type, "", &out);
  if (!s.ok()) return s;
  return out;
}

}  // namespace xenia::spec_text
