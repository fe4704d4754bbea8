#include "daemon/domain/adopted_entry.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/domain/domain_proto.h"
#include "daemon/domain/spec_validation.h"
#include "daemon/proto_time.h"

namespace xenia {

absl::StatusOr<DomainEntry> AdoptedEntry(const hv::DomainFacts& facts, xenia::v1::DomainSpec spec,
                                         absl::Time now, absl::string_view message) {
  if (absl::Status s = ValidateAndDefaultSpec(&spec); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "domain \"", facts.name, "\" cannot be adopted as it is defined: ", s.message()));
  }
  DomainEntry entry;
  entry.spec = std::move(spec);
  entry.create_time = now;
  entry.update_time = now;
  xenia::v1::DomainStatus& status = entry.status;
  switch (facts.state) {
    case hv::RunState::kPaused:
      status.set_power_state(xenia::v1::PAUSED);
      break;
    case hv::RunState::kRunning:
      status.set_power_state(xenia::v1::RUNNING);
      break;
    default:
      status.set_power_state(xenia::v1::SHUTTING_DOWN);
  }
  ApplyFacts(facts, now, &status);
  *status.mutable_start_time() = ToProto(now);
  *status.mutable_state_change_time() = ToProto(now);
  status.set_message(std::string(message));
  return entry;
}

xenia::v1::Event AdoptedEvent(const ResourceNames& names, const DomainEntry& entry, uint32_t domid,
                              absl::string_view how) {
  xenia::v1::Event adopted;
  adopted.set_type(xenia::v1::Event::DOMAIN_ADOPTED);
  adopted.set_resource(names.Domain(entry.name()));
  adopted.set_new_power_state(entry.status.power_state());
  adopted.set_message(absl::StrCat("domain ", entry.name(), " (domid ", domid, ") adopted", how));
  return adopted;
}

}  // namespace xenia
