#include "common/spec_text/yaml_scalar.h"

#include "absl/strings/ascii.h"

namespace xenia::spec_text {
namespace {

bool AllOf(absl::string_view s, bool (*pred)(unsigned char)) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!pred(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool IsOctal(unsigned char c) { return c >= '0' && c <= '7'; }
bool IsDigit(unsigned char c) { return absl::ascii_isdigit(c); }
bool IsHex(unsigned char c) { return absl::ascii_isxdigit(c); }

bool IsInt(absl::string_view s) {
  if (s.size() > 2 && s[0] == '0' && s[1] == 'o') return AllOf(s.substr(2), IsOctal);
  if (s.size() > 2 && s[0] == '0' && s[1] == 'x') return AllOf(s.substr(2), IsHex);
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return AllOf(s, IsDigit);
}

// [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
bool IsFloat(absl::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s == ".inf" || s == ".Inf" || s == ".INF") return true;
  size_t i = 0;
  size_t int_digits = 0;
  while (i < s.size() && IsDigit(s[i])) {
    ++i;
    ++int_digits;
  }
  size_t frac_digits = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDigit(s[i])) {
      ++i;
      ++frac_digits;
    }
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    return AllOf(s.substr(i), IsDigit);
  }
  return i == s.size();
}

}  // namespace

ScalarKind ClassifyPlainScalar(absl::string_view text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return ScalarKind::kNull;
  }
  if (text == "true" || text == "True" || text == "TRUE" || text == "false" || text == "False" ||
      text == "FALSE") {
    return ScalarKind::kBool;
  }
  if (IsInt(text)) return ScalarKind::kInt;
  if (IsFloat(text) || text == ".nan" || text == ".NaN" || text == ".NAN")
    return ScalarKind::kFloat;
  return ScalarKind::kString;
}

bool NeedsQuotesAsString(absl::string_view text) {
  if (ClassifyPlainScalar(text) != ScalarKind::kString) return true;
  const std::string lower = absl::AsciiStrToLower(text);
  return lower == "yes" || lower == "no" || lower == "on" || lower == "off" || lower == "y" ||
         lower == "n";
}

}  // namespace xenia::spec_text
