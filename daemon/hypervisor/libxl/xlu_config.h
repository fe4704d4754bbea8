// XluConfig: one xl.cfg text read by libxlutil (xl's own reader), with the
// reader's complaints captured as text instead of printed. Owns the
// XLU_Config; the getters say whether a key is there and of which kind.
//
// Thread-safety: one thread at a time per object.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

extern "C" {
#include <libxl.h>
#include <libxlutil.h>
}

namespace xenia::hv {

class XluConfig {
 public:
  // Parses `text`; `source` names it in errors ("vm.cfg"). A syntax error is
  // INVALID_ARGUMENT with libxlutil's own message ("vm.cfg:3: config parsing
  // error near `=': syntax error").
  static absl::StatusOr<std::unique_ptr<XluConfig>> Parse(absl::string_view text,
                                                          absl::string_view source);
  ~XluConfig();
  XluConfig(const XluConfig&) = delete;
  XluConfig& operator=(const XluConfig&) = delete;

  enum class Kind { kAbsent, kString, kList };
  Kind KindOf(const std::string& key) const;

  // The value of a string (or number) setting; nullopt if absent or a list.
  std::optional<std::string> String(const std::string& key) const;
  // The string items of a list setting; nullopt if absent or not a list. A
  // nested list item is reported through `nested` (if given) and skipped.
  std::optional<std::vector<std::string>> List(const std::string& key,
                                               bool* nested = nullptr) const;
  // A list setting written back in xl.cfg syntax, nested lists included.
  std::optional<std::string> ListText(const std::string& key) const;

  // For libxlutil's spec-string parsers (xlu_disk_parse, ...).
  XLU_Config* raw() const { return config_; }
  // What libxlutil reported since the last call, trimmed; then forgets it.
  std::string TakeReport();

 private:
  XluConfig() = default;

  XLU_Config* config_ = nullptr;
  // An open_memstream over report_buffer_ (freed after fclose).
  FILE* report_ = nullptr;
  char* report_buffer_ = nullptr;
  size_t report_size_ = 0;
  size_t report_taken_ = 0;
};

// A string in xl.cfg syntax: double-quoted, with backslash escapes.
std::string XlQuote(absl::string_view text);
// Whether XlQuote can write `text` so that libxlutil reads it back: libxlutil
// knows the escapes \n, \t and \r but no numeric ones, so no other control
// character can be written.
bool XlExpressible(absl::string_view text);

}  // namespace xenia::hv
