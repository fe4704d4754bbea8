#include "daemon/hypervisor/libxl/xlu_config.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace xenia::hv {
namespace {

// One list value in xl.cfg syntax.
std::string ValueText(const XLU_ConfigValue* value, const XluConfig& config);

std::string ListItemsText(const XLU_ConfigList* list, const XluConfig& config) {
  std::vector<std::string> items;
  for (int i = 0;; ++i) {
    XLU_ConfigValue* item = xlu_cfg_get_listitem2(list, i);
    if (item == nullptr) break;
    items.push_back(ValueText(item, config));
  }
  return items.empty() ? "[ ]" : absl::StrCat("[ ", absl::StrJoin(items, ", "), " ]");
}

std::string ValueText(const XLU_ConfigValue* value, const XluConfig& config) {
  auto* v = const_cast<XLU_ConfigValue*>(value);
  if (xlu_cfg_value_type(v) == XLU_LIST) {
    XLU_ConfigList* list = nullptr;
    if (xlu_cfg_value_get_list(config.raw(), v, &list, 1) != 0) return "[ ]";
    return ListItemsText(list, config);
  }
  char* text = nullptr;
  if (xlu_cfg_value_get_string(config.raw(), v, &text, 1) != 0 || text == nullptr) return "\"\"";
  return XlQuote(text);
}

}  // namespace

absl::StatusOr<std::unique_ptr<XluConfig>> XluConfig::Parse(absl::string_view text,
                                                            absl::string_view source) {
  std::unique_ptr<XluConfig> c(new XluConfig());
  c->report_ = open_memstream(&c->report_buffer_, &c->report_size_);
  if (c->report_ == nullptr)
    return absl::ResourceExhaustedError("cannot capture libxlutil's report");
  const std::string name(source);
  c->config_ = xlu_cfg_init(c->report_, name.c_str());
  if (c->config_ == nullptr) return absl::ResourceExhaustedError("libxlutil: out of memory");
  if (text.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": the file contains a NUL byte"));
  }
  const int rc = xlu_cfg_readdata(c->config_, text.data(), static_cast<int>(text.size()));
  if (rc != 0) {
    std::string report = c->TakeReport();
    return absl::InvalidArgumentError(
        report.empty()
            ? absl::StrCat(source, ": not a valid xl.cfg file (libxlutil error ", rc, ")")
            : report);
  }
  return c;
}

XluConfig::~XluConfig() {
  if (config_ != nullptr) xlu_cfg_destroy(config_);
  if (report_ != nullptr) fclose(report_);
  free(report_buffer_);
}

std::string XluConfig::TakeReport() {
  if (report_ == nullptr) return "";
  fflush(report_);
  std::string all(report_buffer_ != nullptr ? report_buffer_ : "", report_size_);
  std::string fresh = all.substr(std::min(report_taken_, all.size()));
  report_taken_ = all.size();
  absl::StripAsciiWhitespace(&fresh);
  return fresh;
}

XluConfig::Kind XluConfig::KindOf(const std::string& key) const {
  const char* text = nullptr;
  if (xlu_cfg_get_string(config_, key.c_str(), &text, 1) == 0) return Kind::kString;
  XLU_ConfigList* list = nullptr;
  int count = 0;
  if (xlu_cfg_get_list(config_, key.c_str(), &list, &count, 1) == 0) return Kind::kList;
  return Kind::kAbsent;
}

std::optional<std::string> XluConfig::String(const std::string& key) const {
  const char* text = nullptr;
  if (xlu_cfg_get_string(config_, key.c_str(), &text, 1) != 0 || text == nullptr) {
    return std::nullopt;
  }
  return std::string(text);
}

std::optional<std::vector<std::string>> XluConfig::List(const std::string& key,
                                                        bool* nested) const {
  XLU_ConfigList* list = nullptr;
  int count = 0;
  if (xlu_cfg_get_list(config_, key.c_str(), &list, &count, 1) != 0) return std::nullopt;
  std::vector<std::string> items;
  for (int i = 0; i < count; ++i) {
    const char* item = xlu_cfg_get_listitem(list, i);
    if (item == nullptr) {
      if (nested != nullptr) *nested = true;
      continue;
    }
    items.emplace_back(item);
  }
  return items;
}

std::optional<std::string> XluConfig::ListText(const std::string& key) const {
  XLU_ConfigList* list = nullptr;
  int count = 0;
  if (xlu_cfg_get_list(config_, key.c_str(), &list, &count, 1) != 0) return std::nullopt;
  return ListItemsText(list, *this);
}

bool XlExpressible(absl::string_view text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\t' && c != '\r') || u == 0x7f) return false;
  }
  return true;
}

std::string XlQuote(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        // libxlutil reads no numeric escapes (see XlExpressible).
        out.push_back(c);
    }
  }
  out += "\"";
  return out;
}

}  // namespace xenia::hv
