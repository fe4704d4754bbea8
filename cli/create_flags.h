// The flags of `xenia create` that describe a domain (--name, --memory,
// --vcpus, ...) and how they map onto a xenia.v1.DomainSpec. Flags given with
// a spec file override the file's values, as xl's key=value arguments do.
//
// Thread-safe: pure functions.
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "xenia/v1/domain.pb.h"

namespace xenia::cli {

// Empty strings and nullopt mean "not given".
struct CreateFlags {
  std::string name;
  // Sizes as people write them: "512M", "2G"; a bare number is MiB.
  std::string memory;
  std::string max_memory;
  std::optional<int> vcpus;
  std::optional<int> max_vcpus;
  // "pv", "pvh" or "hvm".
  std::string type;
  std::string kernel;
  std::string ramdisk;
  std::string cmdline;
};

// Applies the given flags to `spec`. INVALID_ARGUMENT naming the flag for a
// bad size, a non-positive count or an unknown type.
absl::Status ApplyCreateFlags(const CreateFlags& flags, xenia::v1::DomainSpec* spec);

}  // namespace xenia::cli
