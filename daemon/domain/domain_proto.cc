#include "daemon/domain/domain_proto.h"

#include "absl/strings/str_cat.h"
#include "daemon/proto_time.h"

namespace xenia {

xenia::v1::Domain ToDomainProto(const DomainEntry& entry, const ResourceNames& names) {
  xenia::v1::Domain domain;
  domain.set_name(names.Domain(entry.name()));
  *domain.mutable_spec() = entry.spec;
  *domain.mutable_status() = entry.status;
  domain.mutable_status()->set_managed(true);
  *domain.mutable_create_time() = ToProto(entry.create_time);
  *domain.mutable_update_time() = ToProto(entry.update_time);
  domain.set_etag(absl::StrCat(entry.generation));
  return domain;
}

const char* PowerStateName(xenia::v1::PowerState state) {
  switch (state) {
    case xenia::v1::SHUTOFF:
      return "shut off";
    case xenia::v1::RUNNING:
      return "running";
    case xenia::v1::PAUSED:
      return "paused";
    case xenia::v1::SHUTTING_DOWN:
      return "shutting down";
    case xenia::v1::CRASHED:
      return "crashed";
    case xenia::v1::DYING:
      return "dying";
    case xenia::v1::SUSPENDED:
      return "suspended";
    case xenia::v1::LOST:
      return "lost";
    default:
      return "unknown";
  }
}

}  // namespace xenia
