#include "cli/create_flags.h"

#include <cstdint>
#include <limits>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/sizes.h"
#include "common/spec_text/enum_names.h"

namespace xenia::cli {
namespace {

absl::StatusOr<int64_t> PositiveMib(absl::string_view flag, absl::string_view text) {
  absl::StatusOr<int64_t> mib = ParseSizeMib(text);
  if (!mib.ok())
    return absl::InvalidArgumentError(absl::StrCat(flag, ": ", mib.status().message()));
  if (*mib <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": must be more than 0, got \"", text, "\""));
  }
  if (*mib > std::numeric_limits<int32_t>::max()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": \"", text, "\" is too large"));
  }
  return *mib;
}

absl::Status CheckCount(absl::string_view flag, int value) {
  if (value > 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(flag, ": must be at least 1, got ", value));
}

}  // namespace

absl::Status ApplyCreateFlags(const CreateFlags& flags, xenia::v1::DomainSpec* spec) {
  if (!flags.name.empty()) spec->set_name(flags.name);
  if (!flags.memory.empty()) {
    absl::StatusOr<int64_t> mib = PositiveMib("--memory", flags.memory);
    if (!mib.ok()) return mib.status();
    spec->set_memory_mib(*mib);
  }
  if (!flags.max_memory.empty()) {
    absl::StatusOr<int64_t> mib = PositiveMib("--max-memory", flags.max_memory);
    if (!mib.ok()) return mib.status();
    spec->set_max_memory_mib(*mib);
  }
  if (flags.vcpus.has_value()) {
    if (absl::Status s = CheckCount("--vcpus", *flags.vcpus); !s.ok()) return s;
    spec->set_vcpus(*flags.vcpus);
  }
  if (flags.max_vcpus.has_value()) {
    if (absl::Status s = CheckCount("--max-vcpus", *flags.max_vcpus); !s.ok()) return s;
    spec->set_max_vcpus(*flags.max_vcpus);
  }
  if (!flags.type.empty()) {
    const std::optional<int> type =
        spec_text::ParseEnumText(*xenia::v1::DomainType_descriptor(), flags.type);
    if (!type.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--type: unknown guest type \"", flags.type, "\" (use pv, pvh or hvm)"));
    }
    spec->set_type(static_cast<xenia::v1::DomainType>(*type));
  }
  if (!flags.kernel.empty()) spec->set_kernel(flags.kernel);
  if (!flags.ramdisk.empty()) spec->set_ramdisk(flags.ramdisk);
  if (!flags.cmdline.empty()) spec->set_cmdline(flags.cmdline);
  return absl::OkStatus();
}

}  // namespace xenia::cli
