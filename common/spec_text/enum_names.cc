#include "common/spec_text/enum_names.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace xenia::spec_text {

std::string EnumText(const google::protobuf::EnumDescriptor& type, int value) {
  if (value == 0) return "-";
  const google::protobuf::EnumValueDescriptor* v = type.FindValueByNumber(value);
  if (v == nullptr) return std::to_string(value);
  return absl::StrReplaceAll(absl::AsciiStrToLower(v->name()), {{"_", "-"}});
}

std::optional<int> ParseEnumText(const google::protobuf::EnumDescriptor& type,
                                 absl::string_view text) {
  const std::string name = absl::StrReplaceAll(absl::AsciiStrToUpper(text), {{"-", "_"}});
  const google::protobuf::EnumValueDescriptor* v = type.FindValueByName(name);
  if (v == nullptr || v->number() == 0) return std::nullopt;
  return v->number();
}

std::string EnumChoices(const google::protobuf::EnumDescriptor& type) {
  std::vector<std::string> names;
  for (int i = 0; i < type.value_count(); ++i) {
    if (type.value(i)->number() != 0) names.push_back(EnumText(type, type.value(i)->number()));
  }
  return absl::StrJoin(names, ", ");
}

}  // namespace xenia::spec_text
