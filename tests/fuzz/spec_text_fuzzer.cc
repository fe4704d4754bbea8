// Fuzz target fuzz_spec_text: bytes as a spec file, read as `xenia create
// vm.yaml` and `xenia create vm.json` read one (yaml-cpp, our schema walk,
// protobuf's JSON parser), then validated and defaulted as the daemon does
// before it accepts a spec. A parsed spec is also written back as YAML (by
// way of JSON, as the CLI's `-o yaml` prints one), for crashes only.
#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/spec_text/json_yaml.h"
#include "common/spec_text/message_text.h"
#include "daemon/domain/spec_validation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  using xenia::spec_text::SpecFormat;
  for (SpecFormat format : {SpecFormat::kYaml, SpecFormat::kJson}) {
    absl::StatusOr<xenia::v1::DomainSpec> spec =
        xenia::spec_text::ParseDomainSpec(text, "fuzz", format);
    if (!spec.ok()) continue;
    (void)xenia::spec_text::MessageToYaml(*spec);
    xenia::v1::DomainSpec validated = *spec;
    (void)xenia::ValidateAndDefaultSpec(&validated);
  }
  return 0;
}
