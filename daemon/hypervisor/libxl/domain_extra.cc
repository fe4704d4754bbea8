// ApplyExtraKeys / ExtraKeysToSpec (declared in domain_config_parts.h): the
// xl.cfg keys of DomainSpec.extra that the libxl backend applies.
//
// Each value is read by libxlutil, xl's own config reader, exactly as it
// would read the line "key = value" of an xl.cfg: `vnc = 0`,
// `serial = "pty"`. The supported keys are the common knobs of HVM and PVH
// guests that the spec does not model; any other key is refused, so that a
// spec never silently loses a setting. The reverse direction writes values
// in that syntax ("1"/"0", double-quoted strings) for the keys a config sets.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/hypervisor/libxl/domain_config_parts.h"
#include "daemon/hypervisor/libxl/libxl_alloc.h"

namespace xenia::hv {
namespace {

enum class Applies { kAny, kHvm, kPvh, kHvmOrPvh };

// One supported key and where it lives in the config: exactly one of
// `defbool` and `string` is set.
struct ExtraKey {
  const char* key;
  Applies applies;
  libxl_defbool* (*defbool)(libxl_domain_config*);
  char** (*string)(libxl_domain_config*);
};

const ExtraKey kExtraKeys[] = {
    {"hap", Applies::kAny, [](libxl_domain_config* c) { return &c->c_info.hap; }, nullptr},
    {"localtime", Applies::kAny, [](libxl_domain_config* c) { return &c->b_info.localtime; },
     nullptr},
    {"acpi", Applies::kHvmOrPvh, [](libxl_domain_config* c) { return &c->b_info.acpi; }, nullptr},
    {"apic", Applies::kHvm, [](libxl_domain_config* c) { return &c->b_info.apic; }, nullptr},
    {"pae", Applies::kHvm, [](libxl_domain_config* c) { return &c->b_info.u.hvm.pae; }, nullptr},
    {"vnc", Applies::kHvm, [](libxl_domain_config* c) { return &c->b_info.u.hvm.vnc.enable; },
     nullptr},
    {"sdl", Applies::kHvm, [](libxl_domain_config* c) { return &c->b_info.u.hvm.sdl.enable; },
     nullptr},
    {"nographic", Applies::kHvm, [](libxl_domain_config* c) { return &c->b_info.u.hvm.nographic; },
     nullptr},
    {"pvshim", Applies::kPvh, [](libxl_domain_config* c) { return &c->b_info.u.pvh.pvshim; },
     nullptr},
    {"serial", Applies::kHvm, nullptr,
     [](libxl_domain_config* c) { return &c->b_info.u.hvm.serial; }},
    {"boot", Applies::kHvm, nullptr, [](libxl_domain_config* c) { return &c->b_info.u.hvm.boot; }},
    {"vnclisten", Applies::kHvm, nullptr,
     [](libxl_domain_config* c) { return &c->b_info.u.hvm.vnc.listen; }},
};

bool AppliesTo(Applies applies, libxl_domain_type type) {
  switch (applies) {
    case Applies::kAny:
      return true;
    case Applies::kHvm:
      return type == LIBXL_DOMAIN_TYPE_HVM;
    case Applies::kPvh:
      return type == LIBXL_DOMAIN_TYPE_PVH;
    case Applies::kHvmOrPvh:
      return type == LIBXL_DOMAIN_TYPE_HVM || type == LIBXL_DOMAIN_TYPE_PVH;
  }
  return false;
}

const char* AppliesName(Applies applies) {
  switch (applies) {
    case Applies::kHvm:
      return "HVM guests only";
    case Applies::kPvh:
      return "PVH guests only";
    case Applies::kHvmOrPvh:
      return "HVM and PVH guests only";
    case Applies::kAny:
      break;
  }
  return "every guest";
}

std::string SupportedKeys() {
  std::vector<std::string> keys;
  for (const ExtraKey& k : kExtraKeys) keys.push_back(k.key);
  return absl::StrJoin(keys, ", ");
}

// Reads `key = value` with libxlutil into the config. libxlutil reports
// problems on a stream, which is captured for the error.
absl::Status ReadValue(const ExtraKey& k, const std::string& value, const std::string& field,
                       libxl_domain_config* out) {
  char* report_text = nullptr;
  size_t report_size = 0;
  FILE* report = open_memstream(&report_text, &report_size);
  if (report == nullptr) {
    return absl::InternalError(absl::StrCat("cannot read ", field, ": open_memstream failed"));
  }
  // libxlutil names the "file" in its messages: the spec field.
  XLU_Config* cfg = xlu_cfg_init(report, absl::StrCat("spec.", field).c_str());
  int e = ENOMEM;
  if (cfg != nullptr) {
    const std::string line = absl::StrCat(k.key, " = ", value, "\n");
    e = xlu_cfg_readdata(cfg, line.data(), static_cast<int>(line.size()));
    if (e == 0 && k.defbool != nullptr) {
      e = xlu_cfg_get_defbool(cfg, k.key, k.defbool(out), 0);
    } else if (e == 0) {
      const char* text = nullptr;
      e = xlu_cfg_get_string(cfg, k.key, &text, 0);
      if (e == 0) {
        char** target = k.string(out);
        std::free(*target);
        *target = Dup(text);
      }
    }
    xlu_cfg_destroy(cfg);
  }
  std::fclose(report);
  std::string reported(report_text != nullptr ? report_text : "", report_size);
  std::free(report_text);
  if (e == 0) return absl::OkStatus();
  absl::string_view why = absl::StripAsciiWhitespace(reported);
  return SpecFieldError(
      field, absl::StrCat("\"", value, "\" is not a valid value (",
                          why.empty() ? std::generic_category().message(e) : std::string(why),
                          k.defbool != nullptr ? "; expected 0 or 1)" : "; expected a string)"));
}

// A string in xl.cfg's double-quoted syntax.
std::string Quote(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace

absl::Status ApplyExtraKeys(const xenia::v1::DomainSpec& spec, libxl_domain_config* out) {
  // In key order, so that the first error is always the same one.
  std::vector<std::string> keys;
  for (const auto& [key, value] : spec.extra()) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  for (const std::string& key : keys) {
    const std::string& value = spec.extra().at(key);
    const std::string field = absl::StrCat("extra[\"", key, "\"]");
    const ExtraKey* known = nullptr;
    for (const ExtraKey& k : kExtraKeys) {
      if (key == k.key) known = &k;
    }
    if (known == nullptr) {
      return SpecFieldError(field, absl::StrCat("the libxl backend does not apply this xl.cfg key; "
                                                "it applies ",
                                                SupportedKeys()));
    }
    if (!AppliesTo(known->applies, out->b_info.type)) {
      return SpecFieldError(field, absl::StrCat("applies to ", AppliesName(known->applies)));
    }
    if (value.find_first_of("\n;#") != std::string::npos) {
      return SpecFieldError(field, "one value, without newlines, ';' or '#'");
    }
    if (absl::Status s = ReadValue(*known, value, field, out); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

void ExtraKeysToSpec(const libxl_domain_config& cfg, xenia::v1::DomainSpec* spec) {
  // The accessors give pointers into a mutable config; they are only read.
  libxl_domain_config* c = const_cast<libxl_domain_config*>(&cfg);
  for (const ExtraKey& k : kExtraKeys) {
    if (!AppliesTo(k.applies, cfg.b_info.type)) continue;
    if (k.defbool != nullptr) {
      const libxl_defbool value = *k.defbool(c);
      if (!libxl_defbool_is_default(value)) {
        // One character, given with its length: GCC 12 misreads the plain
        // assignment of a conditional literal as an overlapping copy.
        (*spec->mutable_extra())[k.key].assign(1, libxl_defbool_val(value) ? '1' : '0');
      }
    } else if (const char* text = *k.string(c); text != nullptr) {
      (*spec->mutable_extra())[k.key] = Quote(text);
    }
  }
}

}  // namespace xenia::hv
