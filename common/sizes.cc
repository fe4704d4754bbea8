#include "common/sizes.h"

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace xenia {

absl::StatusOr<int64_t> ParseSizeBytes(absl::string_view text, int64_t default_unit) {
  absl::string_view t = absl::StripAsciiWhitespace(text);
  size_t digits = 0;
  while (digits < t.size() && absl::ascii_isdigit(static_cast<unsigned char>(t[digits]))) {
    ++digits;
  }
  if (digits == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid size \"", text, "\": expected a number with an optional K, M, G or T suffix"));
  }
  uint64_t number = 0;
  if (!absl::SimpleAtoi(t.substr(0, digits), &number)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid size \"", text, "\": number too large"));
  }
  std::string suffix = absl::AsciiStrToLower(t.substr(digits));
  int64_t unit = default_unit;
  if (!suffix.empty()) {
    char c = suffix[0];
    absl::string_view rest = absl::string_view(suffix).substr(1);
    if (c == 'b' && rest.empty()) {
      unit = 1;
    } else {
      switch (c) {
        case 'k':
          unit = int64_t{1} << 10;
          break;
        case 'm':
          unit = int64_t{1} << 20;
          break;
        case 'g':
          unit = int64_t{1} << 30;
          break;
        case 't':
          unit = int64_t{1} << 40;
          break;
        default:
          unit = 0;
      }
      if (unit == 0 || !(rest.empty() || rest == "b" || rest == "ib")) {
        return absl::InvalidArgumentError(absl::StrCat("invalid size \"", text,
                                                       "\": unknown unit \"", t.substr(digits),
                                                       "\" (use K, M, G or T)"));
      }
    }
  }
  if (number > static_cast<uint64_t>(std::numeric_limits<int64_t>::max() / unit)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid size \"", text, "\": too large"));
  }
  return static_cast<int64_t>(number) * unit;
}

absl::StatusOr<int64_t> ParseSizeMib(absl::string_view text) {
  absl::StatusOr<int64_t> bytes = ParseSizeBytes(text, int64_t{1} << 20);
  if (!bytes.ok()) return bytes.status();
  if (*bytes % (int64_t{1} << 20) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid size \"", text, "\": must be a whole number of MiB"));
  }
  return *bytes >> 20;
}

std::string FormatMib(int64_t mib) {
  if (mib >= 1024 && mib % 1024 == 0) return absl::StrCat(mib / 1024, " GiB");
  if (mib >= 1024) return absl::StrFormat("%.1f GiB", static_cast<double>(mib) / 1024.0);
  return absl::StrCat(mib, " MiB");
}

}  // namespace xenia
