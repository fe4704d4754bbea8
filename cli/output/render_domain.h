// Table output for domains: the `xenia list` table (as `xl list` lays it out)
// and the `xenia info` key: value list.
//
// Thread-safe: pure functions.
#pragma once

#include <string>

#include "xenia/v1/domain.pb.h"
#include "xenia/v1/domain_service.pb.h"

namespace xenia::cli {

// NAME  ID  STATE  MEM(MiB)  VCPUS  TIME(s)
// ID is "-" when the domain has no domid; MEM and VCPUS are the live values
// while the domain exists in the hypervisor and the spec's otherwise.
std::string RenderDomainTable(const xenia::v1::ListDomainsResponse& list);

std::string RenderDomainInfo(const xenia::v1::Domain& domain);

// "running", "shutting-down", ...
std::string PowerStateText(xenia::v1::PowerState state);

}  // namespace xenia::cli
