#include "cli/spec_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace xenia::cli {
namespace {

using xenia::v1::ConfigFormat;

// Whether `line` starts an xl.cfg setting: an identifier, blanks, '='.
bool IsXlSetting(absl::string_view line) {
  size_t i = 0;
  if (line.empty() || !(absl::ascii_isalpha(line[0]) || line[0] == '_')) return false;
  while (i < line.size() && (absl::ascii_isalnum(line[i]) || line[i] == '_')) ++i;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  return i < line.size() && line[i] == '=';
}

}  // namespace

absl::StatusOr<SpecFile> ReadSpecFile(const std::string& path, std::istream& stdin_stream) {
  std::ostringstream text;
  SpecFile file;
  file.source = path;
  if (path == "-") {
    file.source = "<stdin>";
    text << stdin_stream.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": cannot read: ", std::strerror(errno)));
    }
    text << in.rdbuf();
    if (in.bad()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": cannot read: ", std::strerror(errno)));
    }
  }
  file.text = text.str();
  return file;
}

ConfigFormat DetectSpecFormat(const SpecFile& file) {
  const std::string lower = absl::AsciiStrToLower(file.source);
  if (absl::EndsWith(lower, ".cfg") || absl::EndsWith(lower, ".xl")) return xenia::v1::XL;
  if (absl::EndsWith(lower, ".json")) return xenia::v1::JSON;
  if (absl::EndsWith(lower, ".yaml") || absl::EndsWith(lower, ".yml")) return xenia::v1::YAML;
  for (absl::string_view line : absl::StrSplit(file.text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '{') return xenia::v1::JSON;
    return IsXlSetting(line) ? xenia::v1::XL : xenia::v1::YAML;
  }
  return xenia::v1::YAML;
}

std::optional<ConfigFormat> ParseConfigFormatName(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "xl") return xenia::v1::XL;
  if (lower == "json") return xenia::v1::JSON;
  if (lower == "yaml") return xenia::v1::YAML;
  return std::nullopt;
}

}  // namespace xenia::cli
